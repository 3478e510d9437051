"""The one migration of the scenarios from format 1 to format 2 (run once; kept as the record of it).

    python tools/migrate_format2.py OLD_SCENARIOS_DIR scenarios/

OLD_SCENARIOS_DIR is ``fixtures/scenarios`` as of commit 19d1798 (``git archive 19d1798 fixtures/scenarios``).
What it does, in order, every id unchanged:
- each distinct (url, seed, spec, quote) becomes one entry of scenarios/sources.yaml, cited by id;
- each scenario names its operation (the file's, or its own where it is about another);
- requirement levels follow the fidelity audit (../shared/notes/fidelity-audit.md): an expectation
  stays MUST where a sentence or the spec states it; inferred ones move under ``should`` (see LEVELS);
- steps equal to a named setup (scenarios/setups.yaml) become ``use:``; the families in FAMILIES
  become one scenario with a ``cases:`` table;
- the written files are loaded back and every expanded scenario compared with the leveled original.
Hand edits after the migration (the audit's findings) are separate commits.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from yaml_layout import dump  # noqa: E402

# -- operations -------------------------------------------------------------------------------

PREFIXES = [("pi-increment-authorization-", "payment_intents/increment_authorization"),
            ("pi-apply-balance-", "payment_intents/apply_customer_balance"),
            ("pi-verify-microdeposits-", "payment_intents/verify_microdeposits"),
            ("pi-create-", "payment_intents/create"), ("pi-retrieve-", "payment_intents/retrieve"),
            ("pi-update-", "payment_intents/update"), ("pi-list-", "payment_intents/list"),
            ("pi-search-", "payment_intents/search"), ("pi-confirm-", "payment_intents/confirm"),
            ("pi-capture-", "payment_intents/capture"), ("pi-cancel-", "payment_intents/cancel"),
            ("seti-create-", "setup_intents/create"), ("seti-retrieve-", "setup_intents/retrieve"),
            ("seti-update-", "setup_intents/update"), ("seti-list-", "setup_intents/list"),
            ("seti-confirm-", "setup_intents/confirm"), ("seti-cancel-", "setup_intents/cancel"),
            ("cus-create-", "customers/create"), ("cus-retrieve-", "customers/retrieve"),
            ("cus-fund-", "customers/fund_cash_balance")]

# The scenarios whose id names no operation: what each is about, read from its claim.
OPERATIONS = {
    "cus-balance-confirm-with-funds-succeeds": "payment_intents/create",  # create with confirm=true
    "cus-balance-confirm-without-funds-requires-action": "payment_intents/create",
    "cus-balance-short-transfer-lowers-amount-remaining": "customers/fund_cash_balance",
    "cus-balance-transfer-completes-a-waiting-payment": "customers/fund_cash_balance",
    "cus-payment-intent-belongs-to-customer": "payment_intents/create",
    "cus-payment-intent-unknown-customer-refused": "payment_intents/create",
    "idem-key-ignored-on-get": "payment_intents/retrieve",
    "iso-list-with-another-accounts-key": "payment_intents/list",
    "iso-mutations-with-another-accounts-key": "payment_intents/update",
    "iso-retrieve-with-another-accounts-key": "payment_intents/retrieve",
    "iso-search-with-another-accounts-key": "payment_intents/search",
    "pk-confirm-manual-confirmation-method-refused": "payment_intents/confirm",
    "pk-confirm-secret-key-only-parameter-refused": "payment_intents/confirm",
    "pk-confirm-with-client-secret-succeeds": "payment_intents/confirm",
    "pk-retrieve-with-another-intents-secret-refused": "payment_intents/retrieve",
    "pk-retrieve-with-client-secret": "payment_intents/retrieve",
    "pk-retrieve-without-client-secret-refused": "payment_intents/retrieve",
    "pk-update-secret-key-only-parameter-refused": "payment_intents/update",
    "seti-canceled-operations-refused": "setup_intents/cancel",
    "val-refused-confirm-changes-nothing": "payment_intents/confirm",
    "val-refused-update-changes-nothing": "payment_intents/update",
    "val-unknown-parameter-on-cancel-changes-nothing": "payment_intents/cancel",
    "val-unknown-parameter-on-capture-changes-nothing": "payment_intents/capture",
    "val-unknown-parameter-on-update-changes-nothing": "payment_intents/update",
}

ENDPOINT_OPERATIONS = {
    ("POST", "/v1/payment_intents"): "payment_intents/create",
    ("POST", "/v1/payment_intents/{id}/confirm"): "payment_intents/confirm",
    ("POST", "/v1/payment_intents/{id}/capture"): "payment_intents/capture",
    ("POST", "/v1/payment_intents/{id}/cancel"): "payment_intents/cancel",
    ("POST", "/v1/payment_intents/{id}"): "payment_intents/update",
    ("GET", "/v1/payment_intents/{id}"): "payment_intents/retrieve",
}


def operation_of(scenario: dict[str, Any]) -> str:
    for prefix, operation in PREFIXES:
        if scenario["id"].startswith(prefix):
            return operation
    if scenario["id"] in OPERATIONS:
        return OPERATIONS[scenario["id"]]
    # idempotency and validation: the endpoint of the first step that carries the claim
    for step in scenario["steps"]:
        request = step["request"]
        if "Idempotency-Key" in request.get("headers", {}) or _status(step) >= 400:
            path = re.sub(r"\{[^}]+\}", "{id}", request["path"])
            return ENDPOINT_OPERATIONS[(request["method"], path)]
    raise SystemExit(f"no operation for {scenario['id']}")


def _status(step: dict[str, Any]) -> int:
    status = step["expect"]["status"]
    return min(status) if isinstance(status, list) else status


# -- levels -------------------------------------------------------------------------------------

# Codes whose pairing with the situation is an inference (audit rows 1 and 12).
INFERRED_CODES = {"payment_intent_unexpected_state", "setup_intent_unexpected_state", "authentication_required"}
# api/errors states 400 only for a missing required parameter ("400 | Bad Request | The request was
# unacceptable, often due to missing a required parameter."); every other exact 400 is an inference
# from the 4xx sentence, so it is MUST 4xx and SHOULD 400.
STATED_400_CODES = {"parameter_missing"}
# pk-retrieve-with-client-secret: only the metadata redaction is stated (audit row 15).
STATED_ABSENT = {"metadata"}
# Same-second ordering (audit row 14): these compare whole lists of objects created within a second.
ORDERING = {"pi-list-newest-first", "pi-list-default-limit-ten", "pi-list-limit-bounds-accepted",
            "pi-list-starting-after-pages-forward", "pi-list-ending-before-pages-back",
            "pi-list-pages-stable-while-others-are-created"}
# Undocumented status for a SetupIntent decline (audit row 18).
SETUP_DECLINE = {"seti-confirm-decline-returns-to-requires-payment-method"}


def level(scenario: dict[str, Any]) -> dict[str, Any]:
    """The scenario with each inferred expectation moved under ``expect.should``."""
    scenario = copy.deepcopy(scenario)
    for step in scenario["steps"]:
        expect, should = step["expect"], {}
        error = expect.get("body", {}).get("error") if isinstance(expect.get("body"), dict) else None
        if isinstance(error, dict):
            inferred = {key: error.pop(key) for key in ("param",) if key in error}
            if isinstance(error.get("code"), str) and error["code"] in INFERRED_CODES:
                inferred["code"] = error.pop("code")
            if inferred:
                should["body"] = {"error": inferred}
        code = error.get("code") if isinstance(error, dict) and isinstance(error.get("code"), str) else None
        if expect["status"] == 400 and code not in STATED_400_CODES:
            expect["status"], should["status"] = "4xx", 400
        if scenario["id"] in SETUP_DECLINE and expect["status"] == 402:
            expect["status"], should["status"] = "4xx", 402
        replayed = expect.get("headers", {}).pop("Idempotent-Replayed", None)
        if replayed is not None:
            should["headers"] = {"Idempotent-Replayed": replayed}
            if not expect["headers"]:
                del expect["headers"]
        if scenario["id"] == "pk-retrieve-with-client-secret":
            _split_absent(expect, should)
        if scenario["id"] in ORDERING:
            _split_ordering(expect, should)
        if should:
            expect["should"] = {key: should[key] for key in ("status", "body", "headers") if key in should}
    return scenario


def _split_absent(expect: dict[str, Any], should: dict[str, Any]) -> None:
    body = expect.get("body", {})
    inferred = {key: value for key, value in body.items() if value == {"$absent": True} and key not in STATED_ABSENT}
    for key in inferred:
        del body[key]
    if inferred:
        should.setdefault("body", {}).update(inferred)


def _split_ordering(expect: dict[str, Any], should: dict[str, Any]) -> None:
    """An exact list of ids (or an ``$in_order``) becomes: MUST contain them, SHOULD be in that order."""
    body = expect.get("body")
    if not isinstance(body, dict) or "data" not in body:
        return
    data = body["data"]
    if isinstance(data, list) and all(isinstance(item, dict) and set(item) == {"id"} for item in data):
        body["data"] = {"$length": len(data), "$contains_all": data}
        should.setdefault("body", {})["data"] = data
    elif isinstance(data, dict) and "$in_order" in data:
        ordered = data.pop("$in_order")
        data["$contains_all"] = ordered
        should.setdefault("body", {})["data"] = {"$in_order": ordered}


# -- sources ------------------------------------------------------------------------------------

def source_key(source: dict[str, Any]) -> tuple:
    return tuple((key, source.get(key)) for key in ("url", "seed", "spec", "quote"))


def source_id(source: dict[str, Any], taken: dict[str, int]) -> str:
    if "url" in source:
        base = re.sub(r"^https://(docs\.|support\.)?stripe\.com/", "", source["url"]).strip("/")
        base = re.sub(r"[^a-z0-9]+", "-", base.lower().replace("/", ".")).strip("-")
        base = re.sub(r"-?\.-?", ".", base) or "stripe"
    elif "seed" in source:
        base = "seed-" + source["seed"][:3]
    else:
        base = "spec"
    taken[base] = taken.get(base, 0) + 1
    return f"{base}.{taken[base]}"


# -- setups and families ------------------------------------------------------------------------

def unify(template: Any, actual: Any, bound: dict[str, Any]) -> bool:
    """Whether ``actual`` is ``template`` with its whole-string ``{name}`` filled (binding them)."""
    if isinstance(template, str):
        whole = re.fullmatch(r"\{([a-z_]+)\}", template)
        if whole and whole.group(1) in bound.get("__params__", ()):
            name = whole.group(1)
            if name in bound and bound[name] != actual:
                return False
            bound[name] = actual
            return True
    if isinstance(template, dict):
        return isinstance(actual, dict) and list(template) == list(actual) and all(
            unify(template[k], actual[k], bound) for k in template)
    if isinstance(template, list):
        return isinstance(actual, list) and len(template) == len(actual) and all(
            unify(t, a, bound) for t, a in zip(template, actual))
    return type(template) is type(actual) and template == actual


def use_setups(steps: list[dict[str, Any]], setups: dict[str, Any]) -> list[dict[str, Any]]:
    out, index = [], 0
    while index < len(steps):
        for name, setup in setups.items():
            size = len(setup["steps"])
            window = steps[index:index + size]
            bound: dict[str, Any] = {"__params__": tuple(setup.get("with", {}))}
            if len(window) == size and all(
                    unify({k: v for k, v in t.items() if k != "name"}, {k: v for k, v in a.items() if k != "name"}, bound)
                    for t, a in zip(setup["steps"], window)):
                bound.pop("__params__")
                given = {k: v for k, v in bound.items() if setup["with"].get(k) != v}
                out.append({"use": name, **({"with": given} if given else {})})
                index += size
                break
        else:
            out.append(steps[index])
            index += 1
    return out


def family(scenarios: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    """One scenario with a case table from several that differ only in some values."""
    tuples: dict[tuple, str] = {}
    free = list(names)

    def param(values: tuple) -> str:
        key = tuple(json.dumps(v, sort_keys=True) for v in values)
        if key not in tuples:
            if not free:
                raise SystemExit(f"family {[s['id'] for s in scenarios]}: more varying values than names: {values}")
            tuples[key] = free.pop(0)
        return tuples[key]

    def walk(values: list[Any], textual: bool) -> Any:
        first = values[0]
        if all(v == first and type(v) is type(first) for v in values):
            return first
        if all(isinstance(v, dict) for v in values) and all(list(v) == list(first) for v in values):
            return {k: walk([v[k] for v in values], textual or k in ("name",)) for k in first}
        if all(isinstance(v, list) for v in values) and all(len(v) == len(first) for v in values):
            return [walk([v[i] for v in values], textual) for i in range(len(first))]
        if textual:
            return first  # templated once every varying value has a name (_retemplate_names)
        return "{" + param(tuple(values)) + "}"

    body = {k: walk([s[k] for s in scenarios], False) for k in scenarios[0] if k not in ("id", "title", "steps")}
    steps = walk([s["steps"] for s in scenarios], False)
    steps = _retemplate_names(steps, scenarios, tuples, param)
    if free:
        raise SystemExit(f"family {[s['id'] for s in scenarios]}: unused names {free}")
    rows = []
    values = {name: [json.loads(v) for v in key] for key, name in tuples.items()}
    title = _template([s["title"] for s in scenarios], tuples)
    for index, scenario in enumerate(scenarios):
        row = {"id": scenario["id"], "with": {name: values[name][index] for name in values}}
        if title is None:
            row["title"] = scenario["title"]
        rows.append(row)
    # without a common title each row carries its own (the template's is the first row's)
    return {"title": title or scenarios[0]["title"], **body, "steps": steps, "cases": rows}


def _template(values: list[str], tuples: dict[tuple, str]) -> str | None:
    candidates = values[:]
    for key, name in sorted(tuples.items(), key=lambda item: -max(len(v) for v in item[0])):
        row_values = [json.loads(v) for v in key]
        if all(isinstance(v, str) and v and v in text for v, text in zip(row_values, candidates)):
            candidates = [text.replace(v, "{" + name + "}") for v, text in zip(row_values, candidates)]
    return candidates[0] if all(c == candidates[0] for c in candidates) else None


def _retemplate_names(steps: list[dict[str, Any]], scenarios, tuples, param) -> list[dict[str, Any]]:
    for index, step in enumerate(steps):
        names = [s["steps"][index].get("name") for s in scenarios]
        if any(n != names[0] for n in names):
            templated = _template(names, tuples)
            step["name"] = templated if templated is not None else "{" + param(tuple(names)) + "}"
    return steps


# -- the migration ------------------------------------------------------------------------------

# Parameter families written as one scenario with a case table: ids, then the names of the values
# that vary between them, in the order they first appear (sources, then steps).
FAMILIES = [
    (["pi-cancel-reason-duplicate", "pi-cancel-reason-fraudulent", "pi-cancel-reason-requested-by-customer",
      "pi-cancel-reason-abandoned"], ["reason"]),
    (["pi-confirm-declined-generic-decline", "pi-confirm-declined-insufficient-funds", "pi-confirm-declined-lost-card",
      "pi-confirm-declined-stolen-card", "pi-confirm-declined-velocity-limit-exceeded"],
     ["card_row", "payment_method", "decline_code"]),
    (["pi-confirm-declined-expired-card", "pi-confirm-declined-incorrect-cvc", "pi-confirm-declined-processing-error"],
     ["card_row", "payment_method", "code"]),
    (["pi-create-metadata-too-many-keys-refused", "pi-create-metadata-key-too-long-refused",
      "pi-create-metadata-value-too-long-refused"],
     ["metadata", "sending"]),
]


def read_old(root: Path) -> dict[str, list[dict[str, Any]]]:
    return {str(path.relative_to(root)): [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
            for path in sorted(root.glob("*/*.yaml"))}


def migrate(old_root: Path, new_root: Path) -> None:
    old = read_old(old_root)
    setups = yaml.safe_load((new_root / "setups.yaml").read_text(encoding="utf-8"))["setups"]
    registry: dict[tuple, str] = {}
    records: dict[str, dict[str, Any]] = {}
    taken: dict[str, int] = {}
    plain: dict[str, dict[str, Any]] = {}
    written_files: dict[str, dict[str, Any]] = {}
    for file, scenarios in old.items():
        converted = []
        for scenario in scenarios:
            leveled = level(scenario)
            ids = []
            for source in leveled["sources"]:
                key = source_key(source)
                if key not in registry:
                    registry[key] = source_id(source, taken)
                    records[registry[key]] = {k: v for k, v in source.items()}
                ids.append(registry[key])
            operation = operation_of(scenario)
            written = {"id": leveled["id"], "title": leveled["title"], "operation": operation,
                       "features": leveled["features"], "sources": ids,
                       **({"notes": leveled["notes"]} if "notes" in leveled else {}), "steps": leveled["steps"]}
            plain[written["id"]] = {**written, "sources": [{"id": i, **records[i]} for i in ids]}
            converted.append(written)
        converted = _families(converted)
        for scenario in converted:
            scenario["steps"] = use_setups(scenario["steps"], setups)
        common = max({s["operation"] for s in converted}, key=lambda op: sum(s["operation"] == op for s in converted))
        for scenario in converted:
            if scenario["operation"] == common:
                del scenario["operation"]
        written_files[file] = {"format": 2, "operation": common, "scenarios": converted}
    for file, document in written_files.items():
        target = new_root / file
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(dump(document), encoding="utf-8")
    (new_root / "sources.yaml").write_text(dump({"format": 2, "spec_version": "2026-05-27.dahlia", "sources": records},
                                                header=SOURCES_HEADER), encoding="utf-8")
    (new_root / "ids.yaml").write_text(dump({"format": 2, "ids": sorted(plain), "retired": {}}, header=IDS_HEADER),
                                       encoding="utf-8")
    verify(new_root, plain)


def _families(scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_id = {s["id"]: s for s in scenarios}
    out, done = [], set()
    for scenario in scenarios:
        if scenario["id"] in done:
            continue
        spec = next((f for f in FAMILIES if scenario["id"] == f[0][0]), None)
        if spec and all(i in by_id for i in spec[0]):
            out.append(family([by_id[i] for i in spec[0]], spec[1]))
            done.update(spec[0])
        else:
            out.append(scenario)
    return out


def verify(new_root: Path, plain: dict[str, dict[str, Any]]) -> None:
    from conformance.loader import Loader

    loader = Loader(new_root)
    loaded = {document["id"]: document for _, document in loader.scenarios()}
    assert not loader.problems, loader.problems
    assert set(loaded) == set(plain), set(loaded) ^ set(plain)
    for key, document in plain.items():
        assert _norm(loaded[key]) == _norm(document), (key, _diff(_norm(loaded[key]), _norm(document)))
    print(f"migrated {len(plain)} scenarios; each expands to its leveled original")


def _norm(document: dict[str, Any]) -> Any:
    """The document as compared: step names aside (a setup's steps bring the setup's names)."""
    steps = [{k: v for k, v in step.items() if k != "name"} for step in document["steps"]]
    return json.loads(json.dumps({**document, "steps": steps}, sort_keys=True))


def _diff(a: Any, b: Any, path: str = "") -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in set(a) | set(b):
            if a.get(k) != b.get(k):
                return _diff(a.get(k), b.get(k), f"{path}.{k}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _diff(x, y, f"{path}[{i}]")
    return f"{path}: {a!r} != {b!r}"


SOURCES_HEADER = """\
# Every documentation sentence the scenarios rest on, recorded once and cited by id.
#   url: the page; seed: the API reference page in the seed set (../shared/seeds); spec: a JSON
#   pointer into Stripe's OpenAPI description (spec_version below); quote: the sentence, verbatim;
#   value: instead of a quote, the structural value at the spec pointer (a required list, a maxLength).
# tests/test_sources.py checks every seed and spec quote against the pages when they are at hand.
"""

IDS_HEADER = """\
# Every scenario id ever published. Ids are what manifests, baselines and reports key on, so an id
# is never removed or renamed: a scenario that goes is moved to `retired:` with the reason.
# `stripe-conformance check` compares the scenarios with this list.
"""


if __name__ == "__main__":
    migrate(Path(sys.argv[1]), Path(sys.argv[2]))
