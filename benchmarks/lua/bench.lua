-- Every benchmark workload: one request shape, described by the arguments after wrk's
-- "--" (key=value pairs):
--   method=POST       the HTTP method
--   path=/v1/x/{id}   the path; "{id}" is replaced by the next target id
--   body=a=1&b=2      a form body (sent as application/x-www-form-urlencoded)
--   key=sk_test_...   the API key, sent as a Bearer token
--   ids=FILE          object ids, one a line: the workload's targets
--   consume=1         use each id once; when they run out the thread stops
--   capture=FILE      append the PaymentIntent id of every 200 answer to FILE (the first
--                     "id" naming a pi_: localstripe sorts keys, so a charge's id may come first)
--   limit=N           stop the thread after N answers
-- wrk's own duration keeps running after a thread stops, so done() reports the time
-- from the first request to the last answer, measured here with a monotonic clock.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local timespec = ffi.new("bench_timespec")
local function now()
  ffi.C.clock_gettime(1, timespec) -- CLOCK_MONOTONIC
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

answers, started, finished, statuses = 0, nil, nil, {}
method, path_head, path_tail, body = "GET", "/", nil, nil
headers, form_headers = {}, { ["Content-Type"] = "application/x-www-form-urlencoded" }
ids, next_index, consume, capture_file, limit = {}, 1, false, nil, nil

function init(args)
  for _, arg in ipairs(args) do
    local name, value = arg:match("^([^=]+)=(.*)$")
    if name == "method" then method = value
    elseif name == "path" then
      path_head, path_tail = value:match("^(.-){id}(.*)$")
      if not path_head then path_head, path_tail = value, nil end
    elseif name == "body" then body = value
    elseif name == "key" then
      headers["Authorization"] = "Bearer " .. value
      form_headers["Authorization"] = headers["Authorization"]
    elseif name == "ids" then for line in io.lines(value) do if line ~= "" then ids[#ids + 1] = line end end
    elseif name == "consume" then consume = value == "1"
    elseif name == "capture" then
      capture_file = io.open(value, "a")
      capture_file:setvbuf("line") -- wrk exits without closing Lua, so nothing may wait in a buffer
    elseif name == "limit" then limit = tonumber(value)
    end
  end
end

-- The next target id: in turn, or each once when consuming (nil when they ran out).
function next_id()
  if next_index > #ids then
    if consume then return nil end
    next_index = 1
  end
  local id = ids[next_index]
  next_index = next_index + 1
  return id
end

function make_request()
  local path = path_head
  if path_tail then
    local id = next_id()
    if id == nil then return nil end
    path = path_head .. id .. path_tail
  end
  if body then return wrk.format(method, path, form_headers, body) end
  return wrk.format(method, path, headers)
end

function request()
  started = started or now()
  local req = make_request()
  if req == nil then -- the ids ran out: stop, and keep the connection busy with a harmless read
    wrk.thread:stop()
    return wrk.format("GET", "/v1/payment_intents/" .. (ids[1] or "pi_none"), headers)
  end
  return req
end

function response(status, _, body)
  finished = now()
  answers = answers + 1
  statuses[status] = (statuses[status] or 0) + 1
  if capture_file and status == 200 then
    local id = body:match('"id"%s*:%s*"(pi_[^"]+)"')
    if id then capture_file:write(id, "\n") end
  end
  if limit and answers >= limit then wrk.thread:stop() end
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

function done(summary, latency, _)
  local total, first, last, by_status = 0, nil, nil, {}
  for _, thread in ipairs(threads) do
    total = total + thread:get("answers")
    local s, f = thread:get("started"), thread:get("finished")
    if s and (not first or s < first) then first = s end
    if f and (not last or f > last) then last = f end
    for code, count in pairs(thread:get("statuses")) do by_status[code] = (by_status[code] or 0) + count end
  end
  local codes = {}
  for code, count in pairs(by_status) do codes[#codes + 1] = string.format('"%d":%d', code, count) end
  local e = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"answers":%d,"elapsed_s":%.6f,"statuses":{%s},"requests":%d,"duration_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\n',
    total, (first and last) and (last - first) or 0, table.concat(codes, ","), summary.requests,
    summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
