"""Known-failures manifests: validation, matching, and a run that fails exactly on what is unlisted."""

from __future__ import annotations

import json
from contextlib import redirect_stdout
from io import StringIO
from pathlib import Path

import pytest
import yaml
from standins import not_found, run_suite
from test_report import valid_results

from conformance import outcomes
from conformance.outcomes import Outcome, Verdict
from conformance.reporting import commands
from conformance.reporting import results as model
from conformance.reporting.manifest import Manifest, ManifestError, load
from conformance.scenario import load_all

CHECKOUT = Path(__file__).resolve().parent.parent
TARGETS = CHECKOUT / "targets"
A_SCENARIO = load_all()[0]
SHORTFALLS = {verdict.value for verdict in outcomes.SHORTFALLS}


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
    ("- pi-x\n", "a mapping of ids or tags to reasons"),
    ("pi-x: one\npi-x: two\n", "listed more than once: pi-x"),
    ("pi-x: 'unclosed\n", "not valid YAML"),
])
def test_malformed_manifests_are_refused_with_the_reason(tmp_path, text, complaint):
    with pytest.raises(ManifestError, match=complaint):
        load(write(tmp_path, text))


@pytest.mark.parametrize("content", [b"\xff\xfep\x00i\x00:\x00 \x00x\x00", b"pi-x: caf\xe9\n"], ids=["utf-16", "latin-1"])
def test_a_manifest_that_is_not_utf8_is_one_line_and_exit_4(tmp_path, content, capsys):
    path = tmp_path / "manifest.yaml"
    path.write_bytes(content)
    assert commands.main(["check-manifest", str(path)]) == 4
    error = capsys.readouterr().err.strip()
    assert error.startswith(f"error: {path}: not UTF-8 text") and "\n" not in error
    with not_found() as target:
        result = run_suite("--expect-failures", str(path), "--base-url", target.base_url, "--no-fuzz")
    assert result.returncode == 4 and "INTERNALERROR" not in result.stdout + result.stderr
    assert "not UTF-8 text" in result.stderr


def test_fuzz_finding_ids_and_their_wildcards_are_accepted_and_match(tmp_path):
    path = write(tmp_path, '"fuzz:TRACE /v1/*:unsupported_method": answers TRACE with 404\n'
                           '"fuzz:POST /v1/payment_intents:stripe_error_envelope": answers 500 to a bad amount\n'
                           '"fuzz:POST /v1/no_such_path:stripe_error_envelope": a path nobody has\n'
                           '"fuzz:bad id": not the grammar\n')
    with pytest.raises(ManifestError) as refused:
        load(path).check_keys()
    lines = str(refused.value).splitlines()
    assert [line.split(": ")[1] for line in lines[:-1]] == ["'fuzz:POST /v1/no_such_path:stripe_error_envelope'",
                                                           "'fuzz:bad id'"]
    manifest = Manifest("m", {"fuzz:TRACE /v1/*:unsupported_method": "family", "fuzz": "every fuzz check",
                              "fuzz:TRACE /v1/payment_intents/{id}:unsupported_method": "one"})
    assert manifest.reason_for("fuzz:TRACE /v1/payment_intents/{id}:unsupported_method", ["fuzz"]) == "one"
    assert manifest.reason_for("fuzz:TRACE /v1/customers:unsupported_method", ["fuzz"]) == "family"
    assert manifest.reason_for("fuzz:POST /v1/customers:not_a_server_error", ["fuzz"]) == "every fuzz check"


def test_the_example_manifest_is_valid_and_uses_every_kind_of_id():
    example = CHECKOUT / "examples" / "known-failures.yaml"
    assert commands.main(["check-manifest", str(example)]) == 0
    keys = load(example).reasons
    assert any(key.startswith("fuzz:") and "*" in key for key in keys)
    assert any(key in {tag for s in load_all() for tag in s.features} for key in keys)
    assert any(key in {s.id for s in load_all()} for key in keys)


def test_suggest_proposes_one_tag_entry_for_a_feature_missing_one_endpoint():
    from conformance.reporting.manifest import suggest
    from conformance.reporting.results import ItemResult, Results

    def item(name, features, verdict=Verdict.UNSUPPORTED, missing="GET /v1/payment_intents/search"):
        return ItemResult(id=name, kind="scenario", group="g", title=name, verdict=verdict, features=features,
                          missing_endpoint=missing if verdict is Verdict.UNSUPPORTED else None)

    results = Results(target="t", suite_version="0", started_at="x", items=[
        item("s1", ["search"]), item("s2", ["search", "errors"]), item("e1", ["errors"], Verdict.PASSED),
        item("s3", ["search", "isolation"], Verdict.NOT_APPLICABLE),
        item("c1", ["capture"], Verdict.FAILED)])
    results.judge()
    lines = suggest(results)
    assert [line.split(":")[0] for line in lines] == ["search", "c1"]
    assert "GET /v1/payment_intents/search" in lines[0] and "2 scenarios" in lines[0]


def test_unknown_ids_and_tags_are_refused_by_name(tmp_path):
    path = write(tmp_path, f"{A_SCENARIO.id}: a real reason\nno-such-scenario: a reason\nno_such_tag: a reason\n")
    assert commands.main(["check-manifest", str(path)]) == 4
    with not_found() as target:
        result = run_suite("--expect-failures", str(path), "--base-url", target.base_url)
    assert result.returncode == 4
    assert f"{path}: 'no-such-scenario': unknown scenario id or feature tag" in result.stderr
    assert f"{path}: 'no_such_tag': unknown scenario id or feature tag" in result.stderr


def test_the_committed_manifests_are_valid(capsys):
    paths = sorted(str(path) for path in TARGETS.glob("*/known-failures.yaml"))
    assert paths, "no committed manifest"
    assert commands.main(["check-manifest", *paths]) == 0


@pytest.mark.slow
def test_localstripe_results_pass_their_manifest_and_fail_naming_any_line_removed(tmp_path, capsys):
    results, manifest = TARGETS / "localstripe" / "results.json", TARGETS / "localstripe" / "known-failures.yaml"
    assert commands.main(["gate", str(results), "--expect-failures", str(manifest)]) == 0
    full = load(manifest)
    stored = model.load(results)
    listed_by = {item.id: full.key_for(item.id, item.features) for item in stored.items if not item.verdict.passing}
    stored_data = json.loads(results.read_text())  # read (and schema-checked) once by model.load above
    for removed in full.reasons:
        # judged in-process as `gate` judges: 140-odd runs stay fast
        shorter = Manifest(str(manifest), {k: v for k, v in full.reasons.items() if k != removed})
        gate = model.Results.from_dict(stored_data).judge(shorter)
        # an id's entry covers that scenario; a tag's every scenario only the tag listed
        assert set(gate.unlisted) == {item for item, key in listed_by.items() if key == removed} != set(), removed
    removed = next(iter(full.reasons))
    shorter = write(tmp_path, yaml.safe_dump({k: v for k, v in full.reasons.items() if k != removed}))
    assert commands.main(["gate", str(results), "--expect-failures", str(shorter), "--report", str(tmp_path)]) == 1
    assert "gate FAILED" in capsys.readouterr().out
    gate = valid_results(tmp_path / "results.json")["gate"]
    assert set(gate["unlisted"]) == {item for item, key in listed_by.items() if key == removed}


@pytest.mark.slow
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
    results = {item["id"]: item for item in valid_results(tmp_path / "listed" / "results.json")["results"]}
    covered = [item for item in results.values() if item["expected"] is not None and item["id"] != passing.id]
    assert covered and {item["outcome"] for item in covered} == {Outcome.EXPECTED_FAILURE.value}
    assert (results[passing.id]["outcome"], results[passing.id]["verdict"]) == (Outcome.UNEXPECTED_PASS.value,
                                                                                  Verdict.PASSED.value)
    assert f"UNEXPECTED PASS {passing.id}:" in listed.stdout
    assert strict.returncode == 1
    gate = valid_results(tmp_path / "strict" / "results.json")["gate"]
    manifest = Manifest("m", shorter)
    assert set(gate["unlisted"]) == {item_id for item_id, item in results.items()
                                     if item["verdict"] in SHORTFALLS and manifest.key_for(item_id, item["features"]) is None}
    assert gate["unlisted"] and gate["unexpected_passes"] == [passing.id]
    assert f"UNEXPECTED PASS (strict) {passing.id}:" in strict.stdout


def _suggest(report: Path) -> dict[str, str]:
    printed = StringIO()
    with redirect_stdout(printed):
        assert commands.main(["suggest", str(report / "results.json")]) == 0
    suggested = yaml.safe_load(printed.getvalue())
    assert suggested and all(reason.startswith("TODO") for reason in suggested.values())
    return suggested


def test_the_docs_manifest_example_and_the_gating_example_name_what_exists(tmp_path):
    docs = (CHECKOUT / "docs" / "reports.md").read_text()
    block = docs.split("## `--expect-failures FILE`", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    example = write(tmp_path, block)
    assert commands.main(["check-manifest", str(example)]) == 0
    running = (CHECKOUT / "docs" / "running.md").read_text()
    gating = running.split("## Reports, known failures and baselines", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    named = [word for word in gating.split() if word.endswith((".yaml", ".json"))]
    assert "examples/known-failures.yaml" in named and (CHECKOUT / "examples" / "known-failures.yaml").is_file()


@pytest.mark.slow
def test_the_known_failures_commands_are_stripe_conformance_subcommands(tmp_path):
    import subprocess
    import sys

    bad = write(tmp_path, "no-such-scenario: a reason\n'fuzz:GET /v1/nowhere:not_a_server_error': a reason\n")

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "conformance.cli", *args], capture_output=True, text=True,
                              timeout=60)

    checked = cli("check-manifest", str(bad))
    assert checked.returncode == 4 and "Traceback" not in checked.stderr
    assert [line.split(": ")[2] for line in checked.stderr.splitlines()[:2]] == [
        "'no-such-scenario'", "'fuzz:GET /v1/nowhere:not_a_server_error'"]
    stored = str(TARGETS / "localstripe" / "results.json")
    assert cli("gate", stored, "--expect-failures", str(TARGETS / "localstripe" / "known-failures.yaml")).returncode == 0
    suggested = cli("suggest", stored)  # judged against the manifest it was stored with: all listed
    assert suggested.returncode == 0 and suggested.stdout.startswith("# nothing to add")
