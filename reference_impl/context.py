"""What a handler needs about one request: who calls, with which parameters, on which store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reference_impl import errors
from reference_impl.auth import Caller, require_secret
from reference_impl.store import Collection, Store

# Which stored kind an expandable attribute names.
EXPANDABLE = {"payment_method": "payment_method", "customer": "customer", "latest_charge": "charge",
              "latest_attempt": "setup_attempt", "setup_intent": "setup_intent", "payment_intent": "payment_intent"}
NOT_STORED_EXPANDABLE = {"application", "on_behalf_of", "review", "mandate", "application_fee", "balance_transaction",
                         "failure_balance_transaction", "source_transfer", "transfer",
                         "single_use_mandate", "default_source", "test_clock"}


@dataclass
class Context:
    store: Store
    caller: Caller
    params: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    # Whether the handler reached stored state, i.e. got past validating its parameters:
    # Stripe saves an idempotent result only once "the execution of an endpoint begins".
    began: bool = False

    def collection(self, kind: str) -> Collection:
        self.began = True
        return self.store.collection(self.caller.account, kind)

    def require(self, ident: str, kind: str, param: str, status: int = 404) -> dict:
        """The caller's object ``ident``, or Stripe's ``resource_missing`` naming ``param``."""
        found = self.collection(kind).get(ident)
        if found is None:
            error = errors.resource_missing(kind, ident, param)
            error.status = status
            raise error
        return found

    def internal(self, ident: str) -> dict:
        """State an object keeps that its API representation does not show."""
        self.began = True
        return self.store.internal(ident)

    def require_secret(self) -> None:
        require_secret(self.caller)

    def render(self, obj: dict, expand: list[str] | None, prefix: str = "") -> dict:
        """The object as answered, with ``expand[]`` paths replaced by the objects they name."""
        if not expand:
            return obj
        shown = dict(obj)
        for path in expand:
            if prefix and path.startswith(prefix):
                path = path[len(prefix):]
            head = path.split(".", 1)[0]
            if head in EXPANDABLE and isinstance(shown.get(head), str):
                shown[head] = self.collection(EXPANDABLE[head]).get(shown[head]) or shown[head]
            elif head not in EXPANDABLE and head not in NOT_STORED_EXPANDABLE:
                raise errors.StripeError(400, f"This property cannot be expanded ({path}).", param="expand")
        return shown

    def check_expand(self, expand: list[str] | None, prefix: str = "") -> None:
        """Refuse what no object can expand even when there is nothing to render (an empty page)."""
        for path in expand or ():
            head = path[len(prefix):] if prefix and path.startswith(prefix) else path
            if head.split(".", 1)[0] not in EXPANDABLE and head.split(".", 1)[0] not in NOT_STORED_EXPANDABLE:
                raise errors.StripeError(400, f"This property cannot be expanded ({head}).", param="expand")
