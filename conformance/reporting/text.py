"""Text shared by the writers: request and response as a person reads them, safe Markdown cells."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from conformance.reporting.model import ItemResult

_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]|])")


def request_text(failure: dict[str, Any]) -> str:
    request = failure["request"]
    return f"{request['method']} {request['url']}" + (f"\n\n{request['body']}" if request.get("body") else "")


def response_text(failure: dict[str, Any]) -> str:
    response = failure["response"]
    body = response.get("body")
    shown = body if isinstance(body, str) else json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True)
    kind = f" ({response['content_type']})" if response.get("content_type") else ""
    return f"{response['status']}{kind}\n\n{shown}"


def source_label(source: dict[str, str]) -> str:
    return source.get("url") or (f"seed {source['seed']}" if source.get("seed") else f"spec {source.get('spec')}")


def note(item: ItemResult) -> str:
    """The one line that says why a result is not a plain pass."""
    if item.known_failure:
        return f"known: {item.known_failure}"
    if item.failure and item.failure.get("summary"):
        return item.failure["summary"]
    return item.detail or ""


def md_cell(text: str) -> str:
    """Text from anywhere (the target included) as one Markdown table cell that renders literally."""
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(flat, quote=False))


def md_fence(text: str, language: str = "") -> str:
    """A fenced block longer than any backtick run inside, so the content cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text}\n{fence}"
