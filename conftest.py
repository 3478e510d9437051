"""The project's own test session (pytest from the checkout): how it treats the suite's fuzz tests.

The suite (conformance/suite) is collected beside tests/ (pyproject's testpaths); its fuzz tests
send the whole default fuzz budget, so here they are `slow`, and the fast loop (-m "not slow")
does not even collect them. `stripe-conformance run` never sees this file (--confcutdir).
"""

from __future__ import annotations

import pytest

FUZZ_MODULE = "conformance/suite/test_fuzz.py"
FUZZ_MARKS = {"fuzz", "slow"}  # what its items carry (the hook below adds slow)


def pytest_ignore_collect(collection_path, config: pytest.Config) -> bool | None:
    # Collecting the suite's fuzz tests builds schemathesis's coverage cases: seconds of every
    # worker's start, for items the fast loop (-m "not slow") then deselects all the same.
    if not str(collection_path).endswith(FUZZ_MODULE) or not config.option.markexpr:
        return None
    from _pytest.mark.expression import Expression  # pytest's own reading of -m

    try:
        selected = Expression.compile(config.option.markexpr).evaluate(lambda name, **_: name in FUZZ_MARKS)
    except Exception:  # an expression this reading does not take: collect, and let -m judge
        return None
    return True if not selected else None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # The suite's own fuzz tests (conformance/suite/test_fuzz.py) send the whole default fuzz budget:
    # slow in this project's loop (`-m "not slow"`), though a user's run is not marked.
    for item in items:
        if item.nodeid.startswith("conformance/suite/") and item.get_closest_marker("fuzz") is not None:
            item.add_marker(pytest.mark.slow)
