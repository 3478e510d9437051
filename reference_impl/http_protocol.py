"""uvicorn's C HTTP parser (httptools), answering what it cannot parse with Stripe's error envelope,
and stopping without waiting on idle TLS clients.

httptools is about twice as fast as h11 here (benchmarks/RESULTS.md), but uvicorn answers a
request it cannot parse (a request line of some 64 KB, bytes that are not HTTP) with a plain-text
400 before any app sees it. Clients of a Stripe mock expect the envelope on every error.
"""

from __future__ import annotations

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from reference_impl import errors, ids


class StripeHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        error = errors.StripeError(400, f"The request could not be read as HTTP: {msg}")
        body = json.dumps(error.envelope()).encode()
        head = (b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nrequest-id: %s\r\nconnection: close\r\n\r\n"
                % (len(body), ids.new_id("req").encode()))
        self.transport.write(head + body)
        self.transport.close()

    def shutdown(self) -> None:
        # Stopping: an idle TLS connection's graceful close waits for the client's close_notify, which
        # a client holding a pooled connection never sends; Ctrl-C would hang for the loop's 30 s SSL
        # shutdown timeout. An idle connection has nothing in flight to lose.
        idle = self.cycle is None or self.cycle.response_complete
        if idle and self.transport.get_extra_info("sslcontext") is not None:
            self.transport.abort()
        else:
            super().shutdown()
