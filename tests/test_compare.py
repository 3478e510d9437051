"""``stripe-conformance compare``: several targets side by side, one line per missing endpoint."""

from __future__ import annotations

import subprocess
import sys

from test_report import Page

from conformance.outcomes import Verdict
from conformance.reporting import compare
from conformance.reporting import results as model


def _results(name: str, items: list[model.ItemResult]) -> model.Results:
    return model.Results(target=f"http://{name}", target_name=name, suite_version="0", started_at="2026-12-02T00:00:00",
                         seed=0, items=items)


def _item(ident: str, verdict: Verdict, group: str = "payment_intents/create", **extra) -> model.ItemResult:
    return model.ItemResult(id=ident, kind="scenario", group=group, title=ident, verdict=verdict,
                            features=["create"], **extra)


def _two_targets(tmp_path):
    lacking = [_item(f"pi-{n}", Verdict.UNSUPPORTED, missing_endpoint="POST /v1/payment_intents") for n in range(40)]
    lacking.append(_item("cus-1", Verdict.FAILED, group="customers/create",
                         evidence=model.Evidence(summary="name: expected 'Jenny', got None")))
    full = [_item(f"pi-{n}", Verdict.PASSED if n % 2 else Verdict.WARNED) for n in range(40)]
    full.append(_item("cus-1", Verdict.PASSED, group="customers/create"))
    paths = []
    for name, items in (("full", full), ("lacking", lacking)):
        (tmp_path / name).mkdir()
        paths.append(str(_results(name, items).save(tmp_path / name)))
    return paths


def test_compare_writes_one_row_per_scenario_and_one_line_per_missing_endpoint(tmp_path):
    paths = _two_targets(tmp_path)
    done = subprocess.run([sys.executable, "-m", "conformance.cli", "compare", *paths, "--out", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "out" / "comparison.md").read_text()
    assert text.count("lacking has no POST /v1/payment_intents (40 checks)") == 1
    assert "| full | 2026-12-02, seed 0 | 100% | 51% | 41/41 |" in text  # MUST and SHOULD apart
    assert "| lacking | 2026-12-02, seed 0 | 0% | n/a | 0/41 |" in text
    rows = [line for line in text.splitlines() if line.startswith("| payment_intents/create | create | pi-")]
    assert len(rows) == 40
    assert "name: expected 'Jenny', got None" in text  # the failure, one click away
    page = Page((tmp_path / "out" / "comparison.html").read_text())
    assert len(page.all("span", **{"class": "o-unsupported"})) == 40
    assert len(page.all("details")) == 40 + 1 + 20  # each cell that is not a plain pass opens to its reason


def test_compare_refuses_a_file_that_is_not_results_in_one_line(tmp_path):
    (tmp_path / "bad.json").write_text("[]")
    done = subprocess.run([sys.executable, "-m", "conformance.cli", "compare", str(tmp_path / "bad.json"), "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 4 and len(done.stderr.strip().splitlines()) == 1


def test_a_size_refusal_is_a_refusal_for_the_negative_data_check():
    """An over-long generated URL answered 431 (stripe-stateful-mock) is refused, not accepted."""
    statuses = _negative_statuses()
    assert {"413", "414", "431"} <= set(statuses)


def _negative_statuses() -> list[str]:
    import tomllib
    from pathlib import Path

    import conformance.fuzz

    settings = tomllib.loads((Path(conformance.fuzz.__file__).parent / "schemathesis.toml").read_text())
    return settings["checks"]["negative_data_rejection"]["expected-statuses"]
