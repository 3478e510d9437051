"""Readable YAML for scenario files: block style above, flow style for whatever fits on a line."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

WIDTH = 118
_PLAIN = re.compile(r"^[A-Za-z_/$][A-Za-z0-9_./$-]*$")
_RESERVED = {"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"}


def scalar(value: Any, in_flow: bool = True) -> str:
    """A scalar as YAML: plain where it reads back as the same string, else double-quoted."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    text = str(value)
    if _PLAIN.match(text) and text.lower() not in _RESERVED and not text.startswith("$") or _is_operator(text):
        return text
    if text and text == text.strip() and not re.match(r"^[-?:,\[\]{}#&*!|>'\"%@`0-9.+]", text) \
            and (not in_flow or not re.search(r"[,\[\]{}]", text)) and _reads_back(text, in_flow):
        return text
    return json.dumps(text, ensure_ascii=False)


def _reads_back(text: str, in_flow: bool) -> bool:
    try:
        loaded = yaml.safe_load("{k: " + text + "}" if in_flow else "k: " + text)
    except yaml.YAMLError:
        return False
    return loaded == {"k": text}


def _is_operator(text: str) -> bool:
    return bool(re.fullmatch(r"\$[a-z_]+", text))


def flow(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def block(value: Any, indent: int = 0) -> list[str]:
    """Lines of ``value`` (a mapping or list) in block style, collapsing to flow where it fits."""
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{scalar(key)}:"
            if isinstance(item, (dict, list)) and item:
                one = f"{head} {flow(item)}"
                if len(one) <= WIDTH:
                    lines.append(one)
                else:
                    lines.append(head)
                    lines += block(item, indent + 2)
            else:
                lines.append(f"{head} {scalar(item, in_flow=False) if not isinstance(item, (dict, list)) else flow(item)}")
        return lines
    for item in value:
        if isinstance(item, dict) and item:
            inner = block(item, indent + 2)
            one = f"{pad}- {flow(item)}"
            if len(one) <= WIDTH and len(item) <= 3:
                lines.append(one)
            else:
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines += inner[1:]
        elif isinstance(item, list) and item:
            one = f"{pad}- {flow(item)}"
            lines.append(one if len(one) <= WIDTH else f"{pad}-\n" + "\n".join(block(item, indent + 2)))
        else:
            lines.append(f"{pad}- {flow(item)}")
    return lines


def dump(document: dict[str, Any], header: str = "") -> str:
    text = header + "\n".join(block(document)) + "\n"
    if yaml.safe_load(text) != document:
        raise ValueError("the layout does not read back as the same data")
    return text
