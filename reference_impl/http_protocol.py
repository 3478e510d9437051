"""uvicorn's C HTTP parser (httptools), answering what it cannot parse with Stripe's error envelope.

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
