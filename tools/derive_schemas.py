#!/usr/bin/env python3
"""Derive schemas/*.json (JSON Schema 2020-12) from Stripe's OpenAPI 3.0 description.

    python tools/derive_schemas.py [--check] [INTENTS_SPEC [FULL_SPEC]]

INTENTS_SPEC defaults to ../shared/reference/stripe-openapi-intents.json (relative to the
repository root); FULL_SPEC, read for the resources the intents subset stubs (Customer,
PaymentMethod, SetupAttempt, Charge) and their lists, defaults to stripe-openapi-spec3.json
beside it. The generated files are committed: this
script is the record of how they were made, and re-running it reproduces them exactly;
--check writes nothing and exits 1 if a committed file differs from what it would write.

Rules (OpenAPI 3.0 -> 2020-12):
- `nullable: true` adds "null" to `type` (and to `enum`), or a `{"type": "null"}` branch to
  `anyOf`; a one-value `enum` becomes `const`. Kept as the spec states them: `type`, `enum`,
  `format`, `maxLength`, `pattern`, `required`, `properties`, `items`, `additionalProperties`,
  `anyOf`. Dropped: descriptions and `x-*` extensions.
- A component with a file of its own is a relative reference ("customer.json",
  "error.json#/$defs/api_errors"). Another API resource (`x-resourceId` and an `id`, e.g.
  charge, payment_method) is a stub checking `id`, `object` (and `deleted`) only, taken from
  the full spec, where the subset's stubs lack `deleted`. Every other component
  is derived in full as a `$defs` entry, so nesting stops at the next API resource.
- Expandable fields keep the spec's `anyOf: [string id, object]`.
- The top level allows unknown properties (see OPEN) and gets OVERLAYS: what the API
  reference states in prose rather than in the spec (id prefixes, client_secret shape,
  lowercase ISO currency, non-negative amounts).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE = "https://stripe-conformance.invalid/schemas/"

FILE_REFS = {  # component -> how other files refer to it
    "payment_intent": "payment_intent.json",
    "setup_intent": "setup_intent.json",
    "customer": "customer.json",
    "customer_cash_balance_transaction": "customer_cash_balance_transaction.json",
    "api_errors": "error.json#/$defs/api_errors",
    "payment_method": "payment_method.json",
    "setup_attempt": "setup_attempt.json",
}
CURRENCY = {"pattern": "^[a-z]{3}$"}
AMOUNT = {"minimum": 0}
OVERLAYS = {
    "payment_intent": {"id": {"pattern": "^pi_"}, "client_secret": {"pattern": "^pi_.+_secret_.+"},
                       "currency": CURRENCY, "amount": AMOUNT, "amount_capturable": AMOUNT,
                       "amount_received": AMOUNT},
    "setup_intent": {"id": {"pattern": "^seti_"}, "client_secret": {"pattern": "^seti_.+_secret_.+"}},
    "customer": {"id": {"pattern": "^cus_"}, "currency": CURRENCY},
    "customer_cash_balance_transaction": {"id": {"pattern": "^ccsbtxn_"}, "currency": CURRENCY},
    "payment_method": {"id": {"pattern": "^pm_"}},
    "setup_attempt": {"id": {"pattern": "^setatt_"}},
    "charge": {"id": {"pattern": "^(ch|py)_"}, "currency": CURRENCY, "amount": AMOUNT, "amount_captured": AMOUNT,
               "amount_refunded": AMOUNT},
}
CUSTOMER_FIELDS = {"id", "object", "created", "livemode", "metadata", "email", "name",
                   "description", "balance", "currency", "cash_balance"}
KEEP = ("type", "enum", "format", "maxLength", "pattern", "required")
OPEN = ("additionalProperties is true on purpose: Stripe adds fields in backwards-compatible "
        "releases, and its own documented examples carry fields this spec lacks (PaymentIntent "
        "examples have `redaction` and `source`). Every property the spec lists is checked.")


class Deriver:
    """Converts one root schema, and the components it reaches, from one spec document."""

    def __init__(self, spec: dict, home: str | None, full: dict):
        self.components = spec["components"]["schemas"]
        self.full = full["components"]["schemas"]  # whole resources, for the stubs
        self.home = home  # the component this file is the home of
        self.defs: dict[str, dict] = {}

    def ref(self, name: str) -> dict:
        component = self.components[name]
        if name == self.home:
            return {"$ref": "#"}
        if name in FILE_REFS and not FILE_REFS[name].startswith(f"{self.home}.json"):
            return {"$ref": FILE_REFS[name]}
        if name not in self.defs:
            self.defs[name] = {}  # reserve the name first: components can be recursive
            if "x-resourceId" in component and "id" in component.get("properties", {}):
                component = self.full.get(name, component)
                kept = {k: self.convert(v) for k, v in component["properties"].items()
                        if k in ("id", "object", "deleted")}
                self.defs[name] = {"$comment": "another API resource: only id, object (and deleted) are checked",
                                   "type": "object", "properties": kept,
                                   "required": [k for k in component.get("required", []) if k in kept]}
            else:
                self.defs[name] = {"title": component.get("title", name), **self.convert(component)}
        return {"$ref": f"#/$defs/{name}"}

    def convert(self, node: dict) -> dict:
        if "$ref" in node:
            return self.ref(node["$ref"].rsplit("/", 1)[-1])
        out = {k: node[k] for k in KEEP if k in node}
        if len(out.get("enum", ())) == 1 and not node.get("nullable"):
            out["const"] = out.pop("enum")[0]
        if "anyOf" in node:
            out["anyOf"] = [self.convert(sub) for sub in node["anyOf"]]
        if "properties" in node:
            out["properties"] = {k: self.convert(v) for k, v in node["properties"].items()}
        if "items" in node:
            out["items"] = self.convert(node["items"])
        if isinstance(node.get("additionalProperties"), dict):
            out["additionalProperties"] = self.convert(node["additionalProperties"])
        elif node.get("additionalProperties") is False:
            out["additionalProperties"] = False
        if node.get("nullable"):
            if "type" in out:
                out["type"] = [out["type"], "null"]
                if "enum" in out:
                    out["enum"] = [*out["enum"], None]
            else:
                out["anyOf"] = [*out.get("anyOf", []), {"type": "null"}]
        return out

    def derive(self, node: dict, name: str, title: str, version: str) -> dict:
        body = self.convert(node)
        for field, extra in OVERLAYS.get(name, {}).items():
            body["properties"][field].update(extra)
        schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
                  "$id": f"{BASE}{name}.json",
                  "$comment": f"Generated by tools/derive_schemas.py from Stripe's OpenAPI spec {version}.",
                  "title": title, "x-comment": OPEN, **body, "additionalProperties": True}
        if self.defs:
            schema["$defs"] = dict(sorted(self.defs.items()))
        return schema


def list_response(spec: dict, path: str) -> dict:
    return spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def main(argv: list[str]) -> int:
    check = "--check" in argv
    argv = [a for a in argv if a != "--check"]
    intents_path = Path(argv[0]) if argv else ROOT / "../shared/reference/stripe-openapi-intents.json"
    full_path = Path(argv[1]) if len(argv) > 1 else intents_path.parent / "stripe-openapi-spec3.json"
    intents = json.loads(intents_path.read_text())
    full = json.loads(full_path.read_text())
    comps = intents["components"]["schemas"]
    full_comps = full["components"]["schemas"]

    customer = dict(full["components"]["schemas"]["customer"])
    customer["properties"] = {k: v for k, v in customer["properties"].items() if k in CUSTOMER_FIELDS}
    customer["required"] = [k for k in customer["required"] if k in CUSTOMER_FIELDS]

    jobs = {  # file name -> (spec, home component, root node, title)
        "payment_intent": (intents, "payment_intent", comps["payment_intent"], "PaymentIntent"),
        "setup_intent": (intents, "setup_intent", comps["setup_intent"], "SetupIntent"),
        "error": (intents, "error", comps["error"], "Error response"),
        "payment_intent_list": (intents, None, list_response(intents, "/v1/payment_intents"),
                                "PaymentIntent list"),
        "setup_intent_list": (intents, None, list_response(intents, "/v1/setup_intents"), "SetupIntent list"),
        "payment_intent_search_result": (intents, None, list_response(intents, "/v1/payment_intents/search"),
                                         "PaymentIntent search result"),
        "customer": (full, "customer", customer, "Customer (the fields this suite uses)"),
        "customer_cash_balance_transaction": (intents, "customer_cash_balance_transaction",
                                              comps["customer_cash_balance_transaction"],
                                              "CustomerCashBalanceTransaction"),
        "payment_method": (full, "payment_method", full_comps["payment_method"], "PaymentMethod"),
        "payment_method_list": (full, None, list_response(full, "/v1/customers/{customer}/payment_methods"),
                                "A Customer's PaymentMethods"),
        "setup_attempt": (full, "setup_attempt", full_comps["setup_attempt"], "SetupAttempt"),
        "setup_attempt_list": (full, None, list_response(full, "/v1/setup_attempts"), "SetupAttempt list"),
        "charge": (full, "charge", full_comps["charge"], "Charge"),
    }
    out_dir = ROOT / "schemas"
    stale = []
    for name, (spec, home, node, title) in jobs.items():
        schema = Deriver(spec, home, full).derive(node, name, title, spec["info"]["version"])
        text = json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        target = out_dir / f"{name}.json"
        if check:
            if not target.is_file() or target.read_text() != text:
                stale.append(target.name)
            continue
        out_dir.mkdir(exist_ok=True)
        target.write_text(text)
        print(f"schemas/{name}.json: {len(schema.get('$defs', {}))} $defs, {len(text)} bytes")
    if stale:
        print("out of date (re-run tools/derive_schemas.py):", ", ".join(stale))
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
