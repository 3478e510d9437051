"""``--record FILE.har``: every exchange of the run, as a HAR 1.2 file (what browsers' tools open).

One page per scenario (its id; other tests get their pytest id), every exchange an entry of its
page, retried 429s included (``_retried``), with the scenario step it belongs to (``_step``).
The run's API keys become stable placeholders (by role) and client secrets keep their object id
only (``pi_X_secret_redacted``), so a recording can be shared and judged again offline
(:mod:`conformance.judge`). Each process records its own part; the controller merges them.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests

from conformance import __version__

PLACEHOLDERS = {"secret": "sk_test_REDACTED_SECRET", "publishable": "pk_test_REDACTED_PUBLISHABLE",
                "other": "sk_test_REDACTED_OTHER"}
CLIENT_SECRET = re.compile(r"\b((?:pi|seti)_[A-Za-z0-9]+)_secret_[A-Za-z0-9]+")
DROPPED = {"cookie", "set-cookie"}
CLEANUP_PAGE = "cleanup"


class Redactor:
    def __init__(self, keys: dict[str, str | None]):
        # longer keys first: one key may begin with another
        self.pairs = sorted(((key, PLACEHOLDERS[role]) for role, key in keys.items() if key),
                            key=lambda pair: -len(pair[0]))

    def __call__(self, text: str) -> str:
        for key, placeholder in self.pairs:
            text = text.replace(key, placeholder)
        return CLIENT_SECRET.sub(r"\1_secret_redacted", text)


class Recorder:
    """A transport observer collecting HAR pages and entries for this process."""

    def __init__(self, redact: Redactor | None = None):
        self.redact = redact or Redactor({})  # the session gives it the run's keys once it knows them
        self.pages: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.page: str | None = None

    def begin(self, page: str) -> None:
        self.page = page
        self.pages.append({"startedDateTime": _now(), "id": page, "title": page, "pageTimings": {}})

    def end(self, variables: dict[str, Any] | None = None) -> None:
        """Close the page; ``variables``: the run-specific values a replay needs (``{run}``, ``{now}``)."""
        if variables and self.pages and self.pages[-1]["id"] == self.page:
            self.pages[-1]["_variables"] = {name: variables[name] for name in ("run", "now") if name in variables}
        self.page = None

    def __call__(self, request: requests.PreparedRequest, response: requests.Response, retried: bool,
                 step: str | None) -> None:
        if self.page is None:  # outside any test: the end-of-run cleanup
            self.page = CLEANUP_PAGE
            if not any(page["id"] == CLEANUP_PAGE for page in self.pages):
                self.pages.append({"startedDateTime": _now(), "id": CLEANUP_PAGE, "title": CLEANUP_PAGE,
                                   "pageTimings": {}})
        elapsed = response.elapsed.total_seconds() * 1000
        started = datetime.now(timezone.utc).timestamp() - elapsed / 1000
        body = request.body.decode("utf-8", "replace") if isinstance(request.body, bytes) else request.body or ""
        self.entries.append({
            "pageref": self.page, "startedDateTime": _iso(started), "time": elapsed,
            "request": self._request(request, self.redact(body)),
            "response": self._response(response), "cache": {},
            "timings": {"send": 0, "wait": elapsed, "receive": 0},
            "_step": step, "_retried": retried,
        })

    def _request(self, request: requests.PreparedRequest, body: str) -> dict[str, Any]:
        url = self.redact(request.url or "")
        entry = {"method": request.method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
                 "headers": self._headers(request.headers),
                 "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(url).query)],
                 "headersSize": -1, "bodySize": len(body.encode())}
        if body:
            entry["postData"] = {"mimeType": request.headers.get("Content-Type", ""), "text": body}
        return entry

    def _response(self, response: requests.Response) -> dict[str, Any]:
        text = self.redact(response.content.decode("utf-8", "replace"))
        return {"status": response.status_code, "statusText": response.reason or "", "httpVersion": "HTTP/1.1",
                "cookies": [], "headers": self._headers(response.headers),
                "content": {"size": len(text.encode()), "mimeType": response.headers.get("Content-Type", ""),
                            "text": text},
                "redirectURL": "", "headersSize": -1, "bodySize": len(response.content)}

    def _headers(self, headers: Any) -> list[dict[str, str]]:
        return [{"name": name, "value": self.redact(str(value))} for name, value in headers.items()
                if name.lower() not in DROPPED]

    def part(self) -> dict[str, Any]:
        return {"pages": self.pages, "entries": self.entries}


def merge(parts: list[dict[str, Any]], path: str | Path, stripe_version: str | None = None) -> Path:
    """Write the parts of every process as one HAR file, pages and entries in time order."""
    pages = sorted((page for part in parts for page in part["pages"]), key=lambda page: page["startedDateTime"])
    entries = sorted((entry for part in parts for entry in part["entries"]), key=lambda e: e["startedDateTime"])
    log = {"version": "1.2", "creator": {"name": "stripe-conformance", "version": __version__},
           "pages": pages, "entries": entries, "_stripe_version": stripe_version}
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"log": log}, indent=1), encoding="utf-8")
    return target


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(timespec="milliseconds")
