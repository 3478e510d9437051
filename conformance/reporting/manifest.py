"""Known-failures manifests: what a target is known to lack, and why.

A manifest is a YAML mapping from a scenario id or a feature tag to a reason that names the
missing behaviour::

    pi-cancel-reason-abandoned: refuses cancellation_reason=abandoned with 400 "Unexpected cancellation_reason"
    search: no /v1/payment_intents/search endpoint (404)

A scenario's own entry wins over its tags' entries. Every key must name a scenario, a feature
tag, ``fuzz`` or another test of the suite; every reason must be written by a person (an empty
reason or one starting with TODO, as :func:`suggest` prints them, is refused).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import yaml

from conformance.reporting import outcomes
from conformance.reporting.model import FUZZ, ItemResult, Results

PLACEHOLDER = "TODO"


class ManifestError(ValueError):
    """A manifest that cannot be used: unreadable, malformed, unknown keys, missing reasons."""


@dataclass(frozen=True)
class Manifest:
    path: str
    reasons: dict[str, str]

    def reason_for(self, item_id: str, features: Iterable[str]) -> str | None:
        key = self.key_for(item_id, features)
        return None if key is None else self.reasons[key]

    def key_for(self, item_id: str, features: Iterable[str]) -> str | None:
        """The entry that lists the item: its own id, else the first of its tags listed."""
        if item_id in self.reasons:
            return item_id
        return next((tag for tag in features if tag in self.reasons), None)

    def check_keys(self, known: set[str]) -> None:
        unknown = sorted(key for key in self.reasons if key not in known)
        if unknown:
            raise ManifestError(f"{self.path}: unknown scenario ids or feature tags: {', '.join(unknown)} "
                                f"(`stripe-conformance list` shows the scenarios' ids and tags, a report "
                                f"the other tests' ids)")

    def apply(self, results: Results) -> None:
        for item in results.items:
            item.expect(self.reason_for(item.id, item.features))


def load(path: str | Path) -> Manifest:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror or exc}") from exc
    entries = _mapping(text, str(path))
    problems = [f"{key!r}: {problem}" for key, reason in entries.items() if (problem := _reason_problem(reason))]
    problems += [f"{key!r}: keys must be scenario ids or tags (strings)" for key in entries if not isinstance(key, str)]
    if problems:
        raise ManifestError(f"{path}: " + "; ".join(problems))
    return Manifest(str(path), {key: reason.strip() for key, reason in entries.items()})


def _mapping(text: str, path: str) -> dict:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            return {}
        if not isinstance(root, yaml.MappingNode):
            raise ManifestError(f"{path}: a manifest is a mapping of scenario ids or tags to reasons")
        keys = [key.value for key, _ in root.value]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ManifestError(f"{path}: listed more than once: {', '.join(duplicates)}")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from exc


def _reason_problem(reason: object) -> str | None:
    if not isinstance(reason, str) or not reason.strip():
        return "a reason naming the missing behaviour is required"
    if reason.strip().upper().startswith(PLACEHOLDER):
        return "the reason is still a placeholder; say how the target departs from the documented behaviour"
    return None


def known_keys(results: Results | None = None, extra_ids: Iterable[str] = ()) -> set[str]:
    """Everything a manifest may name: scenario ids and tags, ``fuzz``, and other tests' ids."""
    from conformance.scenario import load_all

    known = {FUZZ, *extra_ids}
    for scenario in load_all():
        known.add(scenario.id)
        known.update(scenario.features)
    for item in results.items if results else ():
        known.add(item.id)
        known.update(item.features)
    return known


def suggest(results: Results) -> list[str]:
    """Manifest lines for every shortfall the manifest does not list, for a person to finish.

    The reasons are placeholders holding the failure summary, so :func:`load` refuses them
    until someone has written how the target departs from the documented behaviour.
    """
    lines = []
    for item in results.items:
        if item.outcome in outcomes.SHORTFALLS:
            text = f"{PLACEHOLDER}: name the missing behaviour. {item.verdict}: {_summary(item)}"
            lines.append(yaml.safe_dump({item.id: text}, width=10_000, allow_unicode=True).strip())
        elif item.outcome == outcomes.UNEXPECTED_PASS:
            lines.append(f"# {item.id} now passes: remove its entry ({item.expected})")
    return lines


def _summary(item: ItemResult) -> str:
    failure = item.failure or {}
    summary = failure.get("summary") or item.detail or "no detail recorded"
    response = failure.get("response") or {}
    body = response.get("body")
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else (body[:80] if isinstance(body, str) else None)
    return summary + (f" (answered {response['status']}: {message!r})" if message and response.get("status") else "")
