"""``st run`` with the repository's schemathesis.toml: the same rules as the pytest suite.

A "negative" body that Stripe's form sends as a valid one (a generated null travels as
``metadata[k]=``, Stripe's unset) was rightly accepted. The suite's ``filter_failure`` hook
drops that one false ST201 in schemathesis's own check pipeline, which ``st run`` and the
pytest suite share.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.generation import GenerationMode
from schemathesis.hooks import should_keep_failure

from conformance.fuzz import document, hooks, runner  # noqa: F401  (hooks: registered on import)
from conformance.launcher import DEFAULT_SECRET_KEY

pytestmark = pytest.mark.slow  # hypothesis searches for cases, and a whole st run

CHECKOUT = Path(__file__).resolve().parent.parent
SETTINGS = hypothesis.settings(database=None, max_examples=5000, suppress_health_check=list(hypothesis.HealthCheck),
                               deadline=None, phases=[hypothesis.Phase.generate])  # any such case will do


@pytest.fixture(scope="module")
def create_setup_intent():
    return schemathesis.openapi.from_path(document.document_path())["/v1/setup_intents"]["POST"]


def negative_case(operation, valid_as_sent: bool):
    strategy = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    return hypothesis.find(strategy, lambda case: isinstance(case.body, dict) and case.meta is not None
                           and runner.valid_as_sent(case) is valid_as_sent, settings=SETTINGS,
                           random=random.Random(2))  # the same search every time (this seed finds one in seconds)


def accepted(case, status: int = 200) -> AcceptedNegativeData:
    return AcceptedNegativeData(operation=case.operation.label, message="Invalid data should have been rejected",
                                status_code=status, expected_statuses=["4xx"])


@pytest.fixture(scope="module")
def valid_as_sent(create_setup_intent):
    return negative_case(create_setup_intent, valid_as_sent=True)


def test_an_accepted_negative_body_that_is_valid_as_sent_is_dropped_by_schemathesis(valid_as_sent):
    case = valid_as_sent
    assert not should_keep_failure(accepted(case), case, response=None), case.body


def test_a_truly_invalid_body_that_is_accepted_still_fails(create_setup_intent):
    case = negative_case(create_setup_intent, valid_as_sent=False)
    assert should_keep_failure(accepted(case), case, response=None), case.body


def test_the_reference_server_passes_the_negative_check_for_such_a_body(valid_as_sent, reference_server):
    case = valid_as_sent
    case.body = {"metadata": {"order_id": None}}  # the case: sent as metadata[order_id]=, Stripe's unset
    assert runner.valid_as_sent(case)
    case.headers = {"Authorization": f"Bearer {DEFAULT_SECRET_KEY}"}
    response = case.call(base_url=reference_server.base_url)
    assert response.status_code == 200, response.text
    case.validate_response(response, transport_kwargs={"base_url": reference_server.base_url})


def test_st_run_as_the_readme_shows_it_is_clean(reference_server):
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    if st is None:
        pytest.skip("schemathesis's `st` command is not on PATH")
    env = {k: v for k, v in os.environ.items() if k != "SCHEMATHESIS_HOOKS"}
    result = subprocess.run([st, "run", "schemas/openapi.yaml", "--url", reference_server.base_url, "-H",
                             f"Authorization: Bearer {DEFAULT_SECRET_KEY}", "--max-examples", "20", "--seed", "1",
                             "--no-color"], cwd=CHECKOUT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-4000:]
    assert "ST201" not in result.stdout and "FAILURES" not in result.stdout
    assert "passed" in result.stdout.splitlines()[-1] or "warnings" in result.stdout.splitlines()[-1]
