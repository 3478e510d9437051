"""Known-failures manifests: validation, matching, and a run that fails exactly on what is unlisted."""

from __future__ import annotations

import json
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest
import yaml
from standins import not_found, run_suite

from conformance.outcomes import Outcome, Verdict
from conformance.reporting import commands
from conformance.reporting import results as model
from conformance.reporting.manifest import Manifest, ManifestError, load
from conformance.scenario import load_all

CHECKOUT = Path(__file__).resolve().parent.parent
TARGETS = CHECKOUT / "targets"
A_SCENARIO = load_all()[0]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text(text)
    return path


def test_a_manifest_maps_ids_and_tags_to_reasons_and_an_id_wins_over_its_tags(tmp_path):
    tag = A_SCENARIO.features[0]
    manifest = load(write(tmp_path, f"{tag}: the tag's reason\n{A_SCENARIO.id}: the scenario's own reason\n"))
    assert manifest.reason_for(A_SCENARIO.id, A_SCENARIO.features) == "the scenario's own reason"
    assert manifest.reason_for("another-scenario", [tag]) == "the tag's reason"
    assert manifest.reason_for("another-scenario", ["another-tag"]) is None


@pytest.mark.parametrize("text, complaint", [
    ("pi-x:\n", "a reason naming the missing behaviour is required"),
    ("pi-x: '  '\n", "a reason naming the missing behaviour is required"),
    ("pi-x: TODO name it\n", "still a placeholder"),
    ("pi-x: [a, list]\n", "a reason naming the missing behaviour is required"),
    ("- pi-x\n", "a mapping of scenario ids or tags to reasons"),
    ("pi-x: one\npi-x: two\n", "listed more than once: pi-x"),
    ("pi-x: 'unclosed\n", "not valid YAML"),
])
def test_malformed_manifests_are_refused_with_the_reason(tmp_path, text, complaint):
    with pytest.raises(ManifestError, match=complaint):
        load(write(tmp_path, text))


def test_unknown_ids_and_tags_are_refused_by_name(tmp_path):
    path = write(tmp_path, f"{A_SCENARIO.id}: a real reason\nno-such-scenario: a reason\nno_such_tag: a reason\n")
    assert commands.main(["check-manifest", str(path)]) == 4
    with not_found() as target:
        result = run_suite("--expect-failures", str(path), "--base-url", target.base_url)
    assert result.returncode == 4
    assert f"{path}: 'no-such-scenario': unknown scenario id or feature tag" in result.stderr
    assert f"{path}: 'no_such_tag': unknown scenario id or feature tag" in result.stderr


def test_the_committed_manifests_are_valid(capsys):
    paths = sorted(str(path) for path in TARGETS.glob("*.yaml"))
    assert paths, "no committed manifest"
    assert commands.main(["check-manifest", *paths]) == 0


def test_localstripe_results_pass_their_manifest_and_fail_naming_any_line_removed(tmp_path, capsys):
    results, manifest = TARGETS / "localstripe.results.json", TARGETS / "localstripe.yaml"
    assert commands.main(["gate", str(results), "--expect-failures", str(manifest)]) == 0
    full = load(manifest)
    stored = model.load(results)
    listed_by = {item.id: full.key_for(item.id, item.features) for item in stored.items if not item.verdict.passing}
    for removed in full.reasons:
        # judged in-process as `gate` judges: 140-odd runs stay fast
        shorter = Manifest(str(manifest), {k: v for k, v in full.reasons.items() if k != removed})
        gate = model.load(results).judge(shorter)
        # an id's entry covers that scenario; a tag's every scenario only the tag listed
        assert set(gate.unlisted) == {item for item, key in listed_by.items() if key == removed} != set(), removed
    removed = next(iter(full.reasons))
    shorter = write(tmp_path, yaml.safe_dump({k: v for k, v in full.reasons.items() if k != removed}))
    capsys.readouterr()
    assert commands.main(["gate", str(results), "--expect-failures", str(shorter)]) == 1
    printed = capsys.readouterr().out
    for item, key in listed_by.items():
        assert (f" {item}:" in printed) == (key == removed), item


def test_a_live_run_passes_with_the_suggested_manifest_and_fails_naming_what_is_unlisted(tmp_path):
    """Against a target that implements nothing: suggest, complete, then remove one line.

    A scenario passes there (it expects only a 404 error envelope); listing it too makes it an
    unexpected pass, reported without --strict and failing the run with it.
    """
    # The scenarios only: what the fuzz tests meet on a target without any operation depends on the seed.
    with not_found() as target:
        first = run_suite("--base-url", target.base_url, "--no-fuzz", "--report", str(tmp_path / "first"), "-q")
        assert first.returncode == 1
        passing = next(item for item in model.load(tmp_path / "first" / "results.json").items
                       if item.verdict is Verdict.PASSED)
        completed = {key: "answers 404 to every PaymentIntents path" for key in _suggest(tmp_path / "first")}
        listed = run_suite("--base-url", target.base_url, "--no-fuzz", "--report", str(tmp_path / "listed"),
                           "--expect-failures",
                           str(write(tmp_path, yaml.safe_dump({**completed, passing.id: "pretend it is missing"}))))
        removed = sorted(completed)[0]
        shorter = {k: v for k, v in completed.items() if k != removed}
        strict = run_suite("--base-url", target.base_url, "--no-fuzz", "--strict", "--report", str(tmp_path / "strict"),
                           "--expect-failures",
                           str(write(tmp_path, yaml.safe_dump({**shorter, passing.id: "pretend it is missing"}))))
    assert listed.returncode == 0, listed.stdout + listed.stderr
    results = {item["id"]: item for item in json.loads((tmp_path / "listed" / "results.json").read_text())["results"]}
    covered = [item for item in results.values() if item["expected"] is not None and item["id"] != passing.id]
    assert covered and {item["outcome"] for item in covered} == {Outcome.EXPECTED_FAILURE.value}
    assert (results[passing.id]["outcome"], results[passing.id]["verdict"]) == (Outcome.UNEXPECTED_PASS.value,
                                                                                  Verdict.PASSED.value)
    assert f"UNEXPECTED PASS {passing.id}:" in listed.stdout
    assert strict.returncode == 1
    gate = json.loads((tmp_path / "strict" / "results.json").read_text())["gate"]
    manifest = Manifest("m", shorter)
    assert set(gate["unlisted"]) == {item_id for item_id, item in results.items()
                                     if item["verdict"] != "passed" and manifest.key_for(item_id, item["features"]) is None}
    assert gate["unlisted"] and gate["unexpected_passes"] == [passing.id]
    assert f"UNEXPECTED PASS (strict) {passing.id}:" in strict.stdout


def _suggest(report: Path) -> dict[str, str]:
    printed = StringIO()
    with redirect_stdout(printed):
        assert commands.main(["suggest", str(report / "results.json")]) == 0
    suggested = yaml.safe_load(printed.getvalue())
    assert suggested and all(reason.startswith("TODO") for reason in suggested.values())
    return suggested
