"""How much to fuzz and with which seed: ``--fuzz-examples``, ``--seed``, ``--no-fuzz``.

A run is reproducible: with ``--seed`` it sends what any other run with that seed sends;
under ``CI=true`` without one the seed is fixed; otherwise a seed is drawn and reported, so a
failure can be replayed with ``--seed``. Hypothesis's example database is off, so earlier
runs never change what a run sends.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass

DEFAULT_EXAMPLES = 10
"""Generated requests per operation (and stateful sequences) in a default run: the whole suite,
scenarios included, takes about 10 s on two cores (docs/fuzzing.md). Raise it with ``--fuzz-examples``."""

CI_SEED = 0


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class FuzzOptions:
    examples: int = DEFAULT_EXAMPLES
    seed: int = CI_SEED
    enabled: bool = True

    @classmethod
    def resolve(cls, examples: int | None, seed: int | None, enabled: bool = True) -> "FuzzOptions":
        if seed is None:
            seed = CI_SEED if in_ci() else random.randrange(2**32)
        return cls(examples=DEFAULT_EXAMPLES if examples is None else examples, seed=seed, enabled=enabled)


_active = FuzzOptions()


def activate(options: FuzzOptions) -> None:
    """Set by the pytest plugin at configure time, before the fuzz tests are collected."""
    global _active
    _active = options


def active() -> FuzzOptions:
    return _active
