"""Choosing what runs by feature tag (``--features``, ``--skip-features``), for ``run``, ``list`` and pytest alike.

Scenarios carry their tags; the fuzz checks answer to the one tag ``fuzz``, as reports and
manifests already call them. A tag no scenario has is a usage error that names the known tags,
never a silent run of nothing.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable

FUZZ = "fuzz"


class UnknownFeature(ValueError):
    pass


def tags(text: str | None) -> set[str]:
    return {tag.strip() for tag in (text or "").split(",") if tag.strip()}


def feature_counts() -> Counter:
    """Feature tag -> number of scenarios carrying it."""
    from conformance.scenario import load_all

    return Counter(feature for scenario in load_all() for feature in scenario.features)


def known_features() -> list[str]:
    """The closed list of scenarios/features.yaml (`stripe-conformance check` holds every scenario
    to it) and the fuzz checks' tag: read from the one file, not from every scenario, at each start."""
    from conformance import resources

    registry = resources.read_yaml(resources.scenarios_dir().joinpath("features.yaml"))
    return sorted(set(registry["features"]) | {FUZZ})


def check(*texts: str | None) -> None:
    """Refuse a tag that neither a scenario nor the fuzz checks carry."""
    known = set(known_features())
    unknown = sorted(tag for text in texts for tag in tags(text) if tag not in known)
    if unknown:
        raise UnknownFeature(f"unknown feature {', '.join(unknown)}; known features: {', '.join(sorted(known))}")


def chosen(item_tags: Iterable[str], wanted: set[str], unwanted: set[str]) -> bool:
    item_tags = set(item_tags)
    return (not wanted or bool(item_tags & wanted)) and not item_tags & unwanted
