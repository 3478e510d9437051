"""Counts on the command line: ``2500``, ``10k``, ``1M``."""

from __future__ import annotations


def count(text: str) -> int:
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:].lower(), 1)
    return int(float(text[:-1] if scale > 1 else text) * scale)
