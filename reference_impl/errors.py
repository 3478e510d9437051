"""The one builder of Stripe's error envelope, and the errors handlers raise."""

from __future__ import annotations

from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/"


class StripeError(Exception):
    """An error answered to the client as ``{"error": {...}}`` with an HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        **extra: Any,
    ):
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {"type": type, "message": message}
        if code:
            self.body["code"] = code
            self.body["doc_url"] = DOC_URL + code.replace("_", "-")
        if param:
            self.body["param"] = param
        self.body.update({k: v for k, v in extra.items() if v is not None})

    def envelope(self) -> dict[str, Any]:
        return {"error": self.body}


def parameter_missing(param: str) -> StripeError:
    return StripeError(400, f"Missing required param: {param}.", code="parameter_missing", param=param)


def parameter_unknown(param: str) -> StripeError:
    return StripeError(400, f"Received unknown parameter: {param}", code="parameter_unknown", param=param)


def parameter_invalid(param: str, message: str, code: str = "parameter_invalid_string") -> StripeError:
    return StripeError(400, message, code=code, param=param)


def resource_missing(kind: str, ident: str, param: str) -> StripeError:
    return StripeError(404, f"No such {kind}: '{ident}'", code="resource_missing", param=param)


def unexpected_state(kind: str, obj: dict, action: str, allowed: tuple[str, ...]) -> StripeError:
    label = "PaymentIntent" if kind == "payment_intent" else "SetupIntent"
    message = (
        f"This {label} could not be {action} because it has a status of {obj['status']}. "
        f"Only a {label} with one of the following statuses may be {action}: {', '.join(allowed)}."
    )
    return StripeError(400, message, code=f"{kind}_unexpected_state", **{kind: obj})


def authentication(message: str) -> StripeError:
    return StripeError(401, message)
