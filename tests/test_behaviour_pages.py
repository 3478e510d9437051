"""docs/behaviours/: generated from the scenarios, kept up to date, and its diagrams valid Mermaid and Graphviz.

The Mermaid and Graphviz checks need system tools (.ci/run installs them: Graphviz from Debian,
Mermaid from npm into tests/mermaid/): where one is missing they skip with the reason, and under
CI=true they fail instead, so they cannot pass in CI by skipping.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conformance.coverage import load_operations
from conformance.scenario import parse
from conformance.transitions import START, Edge, Refusal, derive
from tools.behaviour_pages import build, diagrams, pages, record

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "behaviours"
MERMAID = ROOT / "tests" / "mermaid"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing_tool(reason: str) -> None:
    if in_ci():
        pytest.fail(f"{reason}; .ci/run installs it")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    """The pages as the scenarios produce them now (the SVGs as committed: their bytes depend on Graphviz)."""
    return build.generate(build.committed_svg)


@pytest.mark.slow
def test_the_committed_pages_are_what_the_scenarios_produce(generated):
    stale = build.differences(generated)
    assert not stale, (f"docs/behaviours/ differs from what the scenarios produce ({'; '.join(stale[:5])}"
                       f"{' ...' if len(stale) > 5 else ''}): run `{pages.REGENERATE}` (it needs Graphviz's dot) "
                       "and commit docs/behaviours/")


@pytest.mark.slow
def test_a_stale_page_and_a_stale_diagram_are_told_apart_from_fresh_ones(generated, tmp_path):
    build.write(generated, tmp_path)
    assert build.differences(generated, tmp_path) == []
    capture = tmp_path / "payment_intents" / "capture.md"
    capture.write_text(capture.read_text(encoding="utf-8").replace("1500", "1501"), encoding="utf-8")
    svg = tmp_path / "diagrams" / "payment_intent.svg"
    svg.write_text(svg.read_text(encoding="utf-8").replace("capture-succeeded", "capture-canceled"), encoding="utf-8")
    (tmp_path / "payment_intents" / "refund.md").write_text("left over\n", encoding="utf-8")
    assert build.differences(generated, tmp_path) == [
        "diagrams/payment_intent.svg: its edges differ from the transitions the scenarios prove",
        "payment_intents/capture.md: differs", "payment_intents/refund.md: no longer generated"]


@pytest.mark.slow
def test_every_operation_has_a_page_and_every_resource_an_index(generated):
    for operation in load_operations():
        assert f"{operation.id}.md" in generated and f"html/{operation.id}.html" in generated
        resource = operation.id.split("/")[0]
        assert f"[{operation.name}]({resource}/{operation.name}.md)" in generated[f"{resource}.md"]
    assert "| [PaymentIntents](payment_intents.md) |" in generated["README.md"]


def test_a_reader_learns_what_a_partial_capture_does_from_the_capture_page(generated):
    """"What happens when I capture less than the authorized amount?", answered by the pages alone."""
    page = generated["payment_intents/capture.md"]
    behaviour = page[page.index('<a id="pi-capture-partial-amount"></a>'):]
    behaviour = behaviour[:behaviour.index("\n## ")]
    assert "A partial capture receives amount_to_capture and releases the rest of the authorization" in behaviour
    assert "“A partial capture automatically releases the remaining amount.”" in behaviour  # the docs, quoted
    assert "**MUST and SHOULD**" in behaviour
    assert '**MUST**: status `200`; schema `payment_intent`; body `{"status": "succeeded", "amount": 2000, ' \
           '"amount_received": 1500}`' in behaviour
    assert '**SHOULD**: body `{"amount_capturable": 0}`' in behaviour
    assert "amount_to_capture=1500" in behaviour and '"amount_received": 1500,' in behaviour  # the example
    # ... and that the rest cannot be captured afterwards, listed with the refusals from succeeded.
    assert "from `succeeded`: " in page and "(#pi-capture-twice-refused)" in page


def test_no_page_holds_a_random_id_secret_or_time_of_the_build(generated):
    for name, text in generated.items():
        if name.endswith(".md"):
            examples = "\n".join(re.findall(r"```http\n(.*?)```", text, re.S))  # not the quotes: docs' own times
            assert not record._ID.search(examples) and not record._SECRET.search(examples), name
            times = [int(found) for found in record._TIME.findall(examples)]
            assert all((time - record.TIME_ORIGIN) % 60 == 0 and abs(time - record.TIME_ORIGIN) < 366 * 86400
                       for time in times), (name, times)
    assert "POST /v1/payment_intents/pi_1/capture" in generated["payment_intents/capture.md"]


def test_normalising_numbers_ids_and_secrets_and_moves_times():
    pi, ch = "pi_" + "A" * 23 + "1", "ch_" + "b" * 24
    exchange = record.Exchange("POST", f"http://x/v1/payment_intents/{pi}/capture", "", {}, 200,
                               body={"id": pi, "latest_charge": ch, "client_secret": f"{pi}_secret_{'z' * 25}",
                                     "created": 1_800_000_001, "expires_at": 1_800_604_800,
                                     "invoice_prefix": "0A1B2C3D", "next": f"https://h/src_{'c' * 24}"})
    normal = record._Normaliser(1_800_000_000, [exchange])
    assert normal.text(exchange.url) == "http://x/v1/payment_intents/pi_1/capture"
    assert normal.value(exchange.body) == {
        "id": "pi_1", "latest_charge": "ch_1", "client_secret": "pi_1_secret_example", "created": record.TIME_ORIGIN,
        "expires_at": record.TIME_ORIGIN + 604_800, "invoice_prefix": "A1B2C3D4", "next": "https://h/src_1"}


def test_trimming_keeps_what_is_checked_and_who_objects_are():
    body = {"id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 2000, "currency": "usd",
            "latest_charge": {"id": "ch_1", "object": "charge", "amount": 2000, "captured": True},
            "data": [{"id": f"x{n}", "object": "thing", "metadata": {"n": str(n)}, "other": 1} for n in range(5)]}
    checked = {"amount": 2000, "data": {"$each": {"metadata": {"$type": "object"}}}}
    assert record._trim(body, checked) == {
        "id": "pi_1", "object": "payment_intent", "status": "succeeded", "amount": 2000,
        "data": [{"id": f"x{n}", "object": "thing", "metadata": {"n": str(n)}} for n in range(3)] + ["… 2 more"]}


# ---------------------------------------------------------------- transitions from the scenarios

OPERATIONS = {operation.endpoint: operation.id for operation in load_operations()}


def scenario(steps, features=("capture",), scenario_id="s-1"):
    source = {"id": "api-x.1", "url": "https://docs.stripe.com/api/payment_intents/capture", "quote": "A sentence."}
    return parse({"id": scenario_id, "title": "A made-up behaviour", "operation": "payment_intents/capture",
                  "features": list(features), "sources": [source], "steps": steps}, "scenarios/x.yaml")


CREATE = {"name": "create", "request": {"method": "POST", "path": "/v1/payment_intents",
                                        "form": {"amount": 2000, "currency": "usd", "confirm": True}},
          "expect": {"status": 200, "body": {"status": "requires_capture"}}, "save": {"pi": "id"}}
CAPTURE = {"name": "capture", "request": {"method": "POST", "path": "/v1/payment_intents/{pi}/capture"},
           "expect": {"status": 200}}
RETRIEVE = {"name": "retrieve", "request": {"method": "GET", "path": "/v1/payment_intents/{pi}"},
            "expect": {"status": 200, "body": {"status": "succeeded"}}}


def test_an_edge_needs_the_status_asserted_before_and_after_the_operation():
    proofs = derive([scenario([CREATE, CAPTURE, RETRIEVE])], OPERATIONS)
    assert proofs.edges == {Edge("PaymentIntent", START, "create + confirm", "requires_capture"): ["s-1"],
                            Edge("PaymentIntent", "requires_capture", "capture", "succeeded"): ["s-1"]}
    unasserted_before = {**CREATE, "expect": {"status": 200}}
    assert Edge("PaymentIntent", "requires_capture", "capture", "succeeded") not in \
        derive([scenario([unasserted_before, CAPTURE, RETRIEVE])], OPERATIONS).edges
    # What the server answers is no proof: without a MUST on the status afterwards there is no edge.
    only_a_should = {**CAPTURE, "expect": {"status": 200, "should": {"body": {"status": "succeeded"}}}}
    assert len(derive([scenario([CREATE, only_a_should])], OPERATIONS).edges) == 1


def test_refusals_from_an_asserted_status_are_listed_unless_another_cause_is_named():
    refused = {**CAPTURE, "expect": {"status": "4xx", "body": {"error": {"type": "invalid_request_error"}}}}
    assert derive([scenario([CREATE, refused])], OPERATIONS).refusals == {
        Refusal("PaymentIntent", "requires_capture", "capture"): ["s-1"]}
    bad_parameter = {**refused, "expect": {"status": 400, "body": {"error": {"param": "amount_to_capture"}}}}
    other_account = {**refused, "expect": {"status": 404}}
    validation = scenario([CREATE, refused], features=("validation",))
    for steps in ([CREATE, bad_parameter], [CREATE, other_account]):
        assert not derive([scenario(steps)], OPERATIONS).refusals
    assert not derive([validation], OPERATIONS).refusals


def test_a_decline_is_an_edge_and_branches_keep_only_what_they_agree_on():
    confirm = {"name": "confirm", "request": {"method": "POST", "path": "/v1/payment_intents/{pi}/confirm"},
               "expect": {"status": "4xx", "body": {"error": {"type": "card_error"}}}}
    back = {**RETRIEVE, "expect": {"status": 200, "body": {"status": "requires_payment_method"}}}
    created = {**CREATE, "request": {"method": "POST", "path": "/v1/payment_intents", "form": {"amount": 1}},
               "expect": {"status": 200, "body": {"status": "requires_payment_method"}}}
    assert Edge("PaymentIntent", "requires_payment_method", "confirm (declined)", "requires_payment_method") in \
        derive([scenario([created, confirm, back])], OPERATIONS).edges
    one = {**CAPTURE, "when": {"kind": "a"}, "expect": {"status": 200, "body": {"status": "succeeded"}}}
    other = {**CAPTURE, "when": {"kind": "b"}, "expect": {"status": 200, "body": {"status": "processing"}}}
    after = {"name": "cancel", "request": {"method": "POST", "path": "/v1/payment_intents/{pi}/cancel"},
             "expect": {"status": 200, "body": {"status": "canceled"}}}
    edges = derive([scenario([CREATE, one, other, after])], OPERATIONS).edges
    assert Edge("PaymentIntent", "requires_capture", "capture", "succeeded") in edges
    assert Edge("PaymentIntent", "requires_capture", "capture", "processing") in edges  # each branch from the same start
    assert not [edge for edge in edges if edge.label == "cancel"]  # the branches disagree: the status before is unknown


def test_the_transitions_file_lists_every_edge_with_its_scenarios(generated):
    described = json.loads(generated[build.TRANSITIONS])
    names = [machine["name"] for machine in described["machines"]]
    assert names == ["PaymentIntent", "SetupIntent"]
    pi = described["machines"][0]
    capture = next(edge for edge in pi["edges"] if edge["id"] == "edge-paymentintent-requires_capture-capture-succeeded")
    assert "pi-capture-partial-amount" in capture["scenarios"]
    assert {"from": "canceled", "operation": "capture", "scenarios": ["pi-capture-canceled-refused"]} in pi["refused"]


# ---------------------------------------------------------------- the diagrams' own tools

def test_graphviz_draws_every_edge_with_its_id_and_label(generated):
    if shutil.which("dot") is None:
        missing_tool("Graphviz's dot is not installed (Debian: apt-get install graphviz)")
    proofs = derive(build.scenarios_in_file_order(), OPERATIONS)
    for machine, svg_file in (("PaymentIntent", "diagrams/payment_intent.svg"), ("SetupIntent", "diagrams/setup_intent.svg")):
        drawn = diagrams.render_svg(diagrams.dot(machine, proofs.of(machine)))
        assert diagrams.svg_edges(drawn) == build.expected_edges(generated)[svg_file]
        assert "&#45;" not in drawn and ' href="#proof-edge-' in drawn


def mermaid_checker() -> Path:
    if not (shutil.which("node") and shutil.which("npm")):
        missing_tool("node and npm are needed for Mermaid's parser (Debian packages nodejs, npm)")
    if not (MERMAID / "node_modules" / "mermaid").is_dir() or not (MERMAID / "node_modules" / "jsdom").is_dir():
        missing_tool("Mermaid's parser is not installed (npm ci --prefix tests/mermaid)")
    return MERMAID / "parse.mjs"


@pytest.mark.slow
def test_both_diagrams_parse_with_mermaids_own_parser(tmp_path):
    checker = mermaid_checker()
    files = [DOCS / "diagrams" / "payment_intent.mmd", DOCS / "diagrams" / "setup_intent.mmd"]
    done = subprocess.run(["node", str(checker), *map(str, files)], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and [answer["type"] for answer in answers] == ["stateDiagram", "stateDiagram"], \
        done.stdout + done.stderr
    for file in files:  # the blocks GitHub renders are these files' text
        assert f"```mermaid\n{file.read_text(encoding='utf-8')}```" in (DOCS / f"{file.stem}s.md").read_text(
            encoding="utf-8")
    broken = tmp_path / "broken.mmd"  # the parser really judges: a transition without a target is refused
    broken.write_text("stateDiagram-v2\n    requires_capture --> : capture\n", encoding="utf-8")
    refused = subprocess.run(["node", str(checker), str(broken)], capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
    assert refused.returncode == 1 and "Parse error" in refused.stdout
