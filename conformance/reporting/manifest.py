"""Known-failures manifests: what a target is known to lack, and why.

A manifest is a YAML mapping from an id to a reason that names the missing behaviour::

    pi-cancel-reason-abandoned: refuses cancellation_reason=abandoned with 400 "Unexpected cancellation_reason"
    search: no /v1/payment_intents/search endpoint (404)
    "fuzz:TRACE /v1/*:unsupported_method": answers TRACE with 404 instead of 405

An id is a scenario id, a feature tag (``fuzz`` for every fuzz check), a fuzz finding
(``fuzz:METHOD /path:check``; a ``*`` in the path covers a family) or another test of the suite
(``test_fuzz.py::test_stateful_sequences``). A scenario's own entry wins over a wildcard's, and a
wildcard's over its tags'. Every reason must be written by a person: an empty one, or one
starting with TODO as :func:`suggest` writes them, is refused. ``suggest``, ``check-manifest``
and ``run --expect-failures`` accept exactly the same ids.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from conformance.outcomes import Outcome, Verdict
from conformance.reporting.results import FUZZ, ItemResult, Results

PLACEHOLDER = "TODO"
FINDING = re.compile(r"^fuzz:(?P<method>[A-Z]+) (?P<path>/\S*):(?P<check>[A-Za-z_][\w.-]*)$")
FUZZ_TESTS = ("test_fuzz.py::test_stateful_sequences",)
SHORTFALL_OUTCOMES = (Outcome.FAILED, Outcome.UNSUPPORTED, Outcome.HARNESS_ERROR)
HOW_TO_LIST = "`stripe-conformance list` shows the scenario ids and tags; a report's results.json every other id"


class ManifestError(ValueError):
    """A manifest that cannot be used: unreadable, malformed, unknown keys, missing reasons (one line each)."""


@dataclass(frozen=True)
class Manifest:
    path: str
    reasons: dict[str, str]

    def reason_for(self, item_id: str, features: Iterable[str]) -> str | None:
        key = self.key_for(item_id, features)
        return None if key is None else self.reasons[key]

    def key_for(self, item_id: str, features: Iterable[str]) -> str | None:
        """The entry that lists the item: its own id, else the most specific wildcard, else its first tag."""
        if item_id in self.reasons:
            return item_id
        wildcards = [key for key in self.reasons if "*" in key and fnmatchcase(item_id, key)]
        if wildcards:
            return max(wildcards, key=len)
        return next((tag for tag in features if tag in self.reasons), None)

    def check_keys(self, extra_ids: Iterable[str] = ()) -> None:
        """Refuse every key that names nothing this suite runs, one line each."""
        known = known_ids(extra_ids)
        problems = [f"{self.path}: {key!r}: {problem}" for key in self.reasons if (problem := key_problem(key, known))]
        if problems:
            raise ManifestError("\n".join(problems + [f"{self.path}: {HOW_TO_LIST}"]))

    def apply(self, results: Results) -> None:
        for item in results.items:
            item.expect(self.reason_for(item.id, item.features))


def key_problem(key: str, known: set[str]) -> str | None:
    if key in known:
        return None
    finding = FINDING.match(key)
    if finding:
        if not any(fnmatchcase(path, finding["path"]) for path in operation_paths()):
            return f"no operation of schemas/openapi.yaml has a path like {finding['path']}"
        return None
    if key.startswith("fuzz:"):
        return "a fuzz finding's id is fuzz:METHOD /path:check (e.g. fuzz:POST /v1/payment_intents:not_a_server_error)"
    return "unknown scenario id or feature tag"


def known_ids(extra_ids: Iterable[str] = ()) -> set[str]:
    """The ids a manifest may name besides fuzz findings: scenarios, tags, the fuzz tests, and ``extra_ids``."""
    from conformance.scenario import load_all

    known = {FUZZ, *FUZZ_TESTS, *extra_ids}
    known.update(f"test_fuzz.py::test_operation[{operation}]" for operation in operations())
    for scenario in load_all():
        known.add(scenario.id)
        known.update(scenario.features)
    return known


@lru_cache(maxsize=None)
def operations() -> tuple[str, ...]:
    """``POST /v1/payment_intents/{intent}/capture`` for every operation the fuzz checks exercise."""
    from conformance.resources import read_yaml, schemas_dir

    document = read_yaml(schemas_dir().joinpath("openapi.yaml"))
    return tuple(f"{method.upper()} {path}" for path, item in document.get("paths", {}).items()
                 for method in item if method in ("get", "post", "put", "patch", "delete"))


@lru_cache(maxsize=None)
def operation_paths() -> frozenset[str]:
    """Each operation's path as finding ids write it (every path parameter as ``{id}``) and as the spec does."""
    paths = {operation.partition(" ")[2] for operation in operations()}
    return frozenset(paths | {re.sub(r"\{[^}]*\}", "{id}", path) for path in paths})


def load(path: str | Path) -> Manifest:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
                            f"save it as UTF-8") from exc
    except OSError as exc:
        raise ManifestError(f"cannot read manifest {path}: {exc.strerror or exc}") from exc
    entries = _mapping(text, str(path))
    problems = [f"{path}: {key!r}: keys are ids or tags (strings)" for key in entries if not isinstance(key, str)]
    problems += [f"{path}: {key!r}: {problem}" for key, reason in entries.items() if (problem := _reason_problem(reason))]
    if problems:
        raise ManifestError("\n".join(problems))
    return Manifest(str(path), {key: reason.strip() for key, reason in entries.items()})


def _mapping(text: str, path: str) -> dict:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is None:
            return {}
        if not isinstance(root, yaml.MappingNode):
            raise ManifestError(f"{path}: a manifest is a mapping of ids or tags to reasons")
        keys = [key.value for key, _ in root.value]
        duplicates = sorted({key for key in keys if keys.count(key) > 1})
        if duplicates:
            raise ManifestError(f"{path}: listed more than once: {', '.join(duplicates)}")
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from exc


def _reason_problem(reason: object) -> str | None:
    if not isinstance(reason, str) or not reason.strip():
        return "a reason naming the missing behaviour is required"
    if reason.strip().upper().startswith(PLACEHOLDER):
        return "the reason is still a placeholder; say how the target departs from the documented behaviour"
    return None


def suggest(results: Results) -> list[str]:
    """Manifest lines for every shortfall the manifest does not list, for a person to finish.

    Where every result of a feature tag falls short for the same missing endpoint, one tag entry
    stands for them all. The reasons are placeholders, so :func:`load` refuses them until someone
    has written how the target departs from the documented behaviour.
    """
    unlisted = [item for item in results.items if item.outcome in SHORTFALL_OUTCOMES]
    lines, covered = [], set()
    for tag, endpoint, items in _whole_tags(results, unlisted):
        if covered.isdisjoint(item.id for item in items):
            lines.append(_line(tag, f"every scenario tagged {tag} needs {endpoint}, which the target lacks "
                                    f"({len(items)} scenarios)"))
            covered.update(item.id for item in items)
    for item in unlisted:
        if item.id not in covered:
            lines.append(_line(item.id, f"{item.verdict.value}: {_summary(item)}"))
    lines += [f"# {item.id} now passes: remove its entry ({item.expected})"
              for item in results.items if item.outcome is Outcome.UNEXPECTED_PASS]
    return lines


def _whole_tags(results: Results, unlisted: list[ItemResult]) -> list[tuple[str, str, list[ItemResult]]]:
    """Tags whose every judged result is an unlisted unsupported verdict for one and the same endpoint, largest first."""
    short = {item.id for item in unlisted if item.verdict is Verdict.UNSUPPORTED}
    by_tag: dict[str, list[ItemResult]] = defaultdict(list)
    for item in results.items:
        for tag in item.features:
            if tag != FUZZ:
                by_tag[tag].append(item)
    whole = []
    for tag, items in by_tag.items():
        judged = [item for item in items if item.verdict is not Verdict.NOT_APPLICABLE]  # no verdict either way
        endpoints = {item.missing_endpoint for item in judged}
        if len(judged) > 1 and all(item.id in short for item in judged) and len(endpoints) == 1 \
                and None not in endpoints:
            whole.append((tag, endpoints.pop(), judged))
    return sorted(whole, key=lambda entry: (-len(entry[2]), entry[0]))


def _line(key: str, why: str) -> str:
    return yaml.safe_dump({key: f"{PLACEHOLDER}: name the missing behaviour. {why}"}, width=10_000,
                          allow_unicode=True).strip()


def _summary(item: ItemResult) -> str:
    summary = item.why or "no detail recorded"
    response = item.evidence.response if item.evidence else None
    if response is None:
        return summary
    body = response.body
    error = body.get("error") if isinstance(body, dict) else None
    message = error.get("message") if isinstance(error, dict) else (body[:80] if isinstance(body, str) else None)
    return summary + (f" (answered {response.status}: {message!r})" if message else "")
