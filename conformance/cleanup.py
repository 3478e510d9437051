"""What a run leaves open on a target it does not own, canceled at the end (best effort).

Tracked from the answers, not by tagging metadata (a tag would break the scenarios that test
metadata limits and exact metadata): every PaymentIntent or SetupIntent a create answered is
remembered with the key that made it, and later answers about it update its status. At the end,
those not in a final state are canceled with the same key.
"""

from __future__ import annotations

import json
from typing import Any

import requests

FINAL = {"payment_intent": {"succeeded", "canceled"}, "setup_intent": {"succeeded", "canceled"}}
CREATES = {"/v1/payment_intents": "payment_intent", "/v1/setup_intents": "setup_intent"}
CANCEL = {"payment_intent": "/v1/payment_intents/{}/cancel", "setup_intent": "/v1/setup_intents/{}/cancel"}


class Tracker:
    """A transport observer: the intents this process created, their last status, and their key."""

    def __init__(self) -> None:
        self.open: dict[str, tuple[str, str, str]] = {}  # id -> (object, status, Authorization header)

    def __call__(self, request: requests.PreparedRequest, response: requests.Response, retried: bool,
                 step: str | None = None) -> None:
        if retried or response.status_code != 200:
            return
        body = _json(response)
        if not isinstance(body, dict) or body.get("object") not in FINAL or not isinstance(body.get("id"), str):
            return
        ident = body["id"]
        path = request.path_url.split("?")[0].rstrip("/")
        if ident in self.open:
            obj, _, key = self.open[ident]
            self.open[ident] = (obj, str(body.get("status")), key)
        elif request.method == "POST" and CREATES.get(path) == body["object"]:
            self.open[ident] = (body["object"], str(body.get("status")), request.headers.get("Authorization", ""))

    def left_open(self) -> list[tuple[str, str, str]]:
        return [(ident, obj, key) for ident, (obj, status, key) in self.open.items() if status not in FINAL[obj]]


def cancel_left_open(tracker: Tracker, session: requests.Session, base_url: str, timeout: float) -> dict[str, int]:
    """Cancel every intent left open: the counts of those canceled and those that could not be."""
    counts = {"cleanup_canceled": 0, "cleanup_failed": 0}
    for ident, obj, key in tracker.left_open():
        try:
            response = session.post(base_url + CANCEL[obj].format(ident), headers={"Authorization": key},
                                    timeout=timeout)
            done = response.status_code == 200
        except requests.RequestException:
            done = False
        counts["cleanup_canceled" if done else "cleanup_failed"] += 1
    return counts


def _json(response: requests.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None
