"""Scenario format 2 as data: the loader's expansion, `check` on broken folders, `export` against its schema."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource

from conformance import check, resources
from conformance.loader import Loader
from conformance.scenario import CLIENT_ERRORS, load_all

SCENARIOS = Path(str(resources.scenarios_dir()))


def _schema_registry() -> Registry:
    schemas = [json.loads((SCENARIOS / name).read_text(encoding="utf-8"))
               for name in ("scenario.schema.json", "export.schema.json")]
    return Registry().with_resources((schema["$id"], Resource.from_contents(schema)) for schema in schemas)


@pytest.fixture
def folder(tmp_path):
    """A copy of the suite's scenarios folder to break."""
    copy = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, copy)
    return copy


def _edit(path: Path, change) -> None:
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")


def test_every_file_says_format_2_and_the_suite_checks_clean():
    for path in SCENARIOS.glob("*/*.yaml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["format"] == 2, path
    assert check.problems(resources.scenarios_dir()) == []


def test_each_of_the_213_format_1_ids_is_a_scenario_or_retired_with_its_reason():
    ids = {scenario.id for scenario in load_all()}
    listed = yaml.safe_load((SCENARIOS / "ids.yaml").read_text(encoding="utf-8"))
    assert ids == set(listed["ids"]) and not ids & set(listed["retired"])
    assert len(ids | set(listed["retired"])) >= 213  # the migrated 213, and every id published since
    assert all(len(reason) > 20 for reason in listed["retired"].values())


def test_a_case_table_gives_each_row_its_own_scenario_with_its_values():
    by_id = {scenario.id: scenario for scenario in load_all()}
    for reason in ("duplicate", "fraudulent", "requested_by_customer", "abandoned"):
        scenario = by_id[f"pi-cancel-reason-{reason.replace('_', '-')}"]
        cancel = scenario.steps[-1]
        assert cancel.form == {"cancellation_reason": reason} and reason in scenario.title
        assert cancel.expect["body"]["cancellation_reason"] == reason


def test_a_setup_is_spliced_in_with_its_defaults_or_the_scenarios_values():
    by_id = {scenario.id: scenario for scenario in load_all()}
    first = by_id["pi-cancel-reason-duplicate"].steps[0]
    assert first.path == "/v1/payment_intents" and first.form["amount"] == 1500  # with: {amount: 1500}
    assert first.save == {"pi": "id"}
    uses_default = [s for s in load_all() if s.steps[0].name == "authorize with manual capture"
                    and s.steps[0].form["amount"] == 2000]
    assert uses_default, "no scenario uses authorized_manual_capture with its default amount"


def test_levels_reach_the_steps_and_4xx_leaves_out_missing_and_rate_limited():
    by_id = {scenario.id: scenario for scenario in load_all()}
    refused = by_id["pi-cancel-canceled-refused"].steps[-2]
    assert refused.expect["status"] == list(CLIENT_ERRORS) and refused.should["status"] == [400]
    assert refused.should["body"] == {"error": {"code": "payment_intent_unexpected_state"}}
    assert "code" not in refused.expect["body"]["error"]
    assert not {404, 405, 429} & set(CLIENT_ERRORS) and {400, 402, 409} <= set(CLIENT_ERRORS)


def test_export_is_valid_against_the_published_schema_and_expanded(tmp_path):
    out = tmp_path / "scenarios.json"
    result = subprocess.run([sys.executable, "-m", "conformance.cli", "export", "--output", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    schema = json.loads((SCENARIOS / "export.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema, registry=_schema_registry()).validate(document)
    assert len(document["scenarios"]) == len(load_all())
    text = json.dumps(document)
    assert '"use"' not in text and '"cases"' not in text
    assert all(source.get("quote") or source.get("value") for s in document["scenarios"] for source in s["sources"])


def _check(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance.cli", "check", str(folder)],
                          capture_output=True, text=True, timeout=120)


def test_check_passes_a_clean_copy(folder):
    result = _check(folder)
    assert result.returncode == 0 and "no problems" in result.stdout, result.stdout + result.stderr


def test_check_lists_each_problem_on_its_own_line_and_exits_1(folder):
    def break_cancel(document):
        scenarios = document["scenarios"]
        scenarios[1]["features"].append("no_such_feature")
        scenarios[1]["sources"].append("no-such-source")
        scenarios[2]["steps"][0] = {"use": "no_such_setup"}
        del scenarios[3]  # an id removed without retiring it
    _edit(folder / "payment_intents" / "cancel.yaml", break_cancel)
    result = _check(folder)
    lines = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout
    assert any("unknown feature 'no_such_feature'" in line for line in lines)
    assert any("unknown source 'no-such-source'" in line for line in lines)
    assert any("unknown setup 'no_such_setup'" in line for line in lines)
    assert any("is listed but no scenario has it" in line for line in lines)
    assert "Traceback" not in result.stdout + result.stderr


def test_check_accepts_a_retired_id_and_refuses_its_reuse_and_new_unlisted_ids(folder):
    cancel = folder / "payment_intents" / "cancel.yaml"
    gone = yaml.safe_load(cancel.read_text(encoding="utf-8"))["scenarios"][1]["id"]
    _edit(cancel, lambda document: document["scenarios"].pop(1))

    def retire(document):
        document["ids"].remove(gone)
        document["retired"][gone] = "the claim cannot be isolated from another refusal"
    _edit(folder / "ids.yaml", retire)
    sources_left = _check(folder).stdout
    assert gone not in sources_left.replace("is cited by no scenario", "")

    def reuse(document):
        document["scenarios"][0]["cases"][0]["id"] = gone
        document["scenarios"][0]["cases"][1]["id"] = "pi-cancel-brand-new"
    _edit(cancel, reuse)
    lines = _check(folder).stdout.splitlines()
    assert any(line.startswith(f"{gone}: retired") for line in lines)
    assert any(line.startswith("pi-cancel-brand-new: a new id") for line in lines)


def test_check_refuses_a_file_without_format_2_and_a_branch_on_an_unsaved_value(folder):
    _edit(folder / "payment_intents" / "capture.yaml", lambda document: document.update(format=1))

    def branch(document):
        document["scenarios"][1]["steps"][-1]["when"] = {"never_saved": "x"}
    _edit(folder / "payment_intents" / "cancel.yaml", branch)
    lines = _check(folder).stdout.splitlines()
    assert any("payment_intents/capture.yaml: format" in line for line in lines)
    assert any("branches on {never_saved}" in line for line in lines)


def test_check_names_the_file_and_line_of_a_yaml_syntax_error_and_a_non_utf8_file(folder):
    capture = folder / "payment_intents" / "capture.yaml"
    lines = capture.read_text(encoding="utf-8").splitlines()
    lines[3] = "  - id: [unclosed"
    capture.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "payment_intents" / "cancel.yaml").write_bytes(b"format: 2\nscenarios: []  # caf\xe9\n")
    result = _check(folder)
    problems = result.stdout.splitlines()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert any(line.startswith("scenarios/payment_intents/capture.yaml:") and "not valid YAML" in line
               for line in problems), problems
    yaml_line = next(line for line in problems if "not valid YAML" in line)
    assert int(yaml_line.split(":")[1]) in (4, 5), yaml_line  # the broken line, or the next where it shows
    assert any(line.startswith("scenarios/payment_intents/cancel.yaml: not UTF-8") for line in problems), problems
    assert len(problems) == 2, problems


def test_check_of_a_path_outside_any_scenarios_folder_is_a_usage_error(tmp_path):
    result = _check(tmp_path)
    assert result.returncode == 4 and "not in a scenarios folder" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_loader_stops_the_suite_on_a_broken_file(folder):
    _edit(folder / "payment_intents" / "cancel.yaml", lambda document: document["scenarios"][1].pop("title"))
    loader = Loader(folder)
    list(loader.scenarios())
    assert any("cancel.yaml" in problem and "title" in problem for problem in loader.problems)
