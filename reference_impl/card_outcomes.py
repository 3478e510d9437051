"""What a card attempt produces for either kind of intent: the card error, the authentication action."""

from __future__ import annotations

from typing import Any

from reference_impl import errors, ids, payment_methods


def card_error(reason: str, pm: dict) -> dict[str, Any]:
    """The ``last_payment_error`` / ``last_setup_error`` of a declined card, as Stripe shapes it."""
    spec = payment_methods.DECLINES[reason]
    error: dict[str, Any] = {"type": "card_error", "code": spec["code"], "message": spec["message"],
                             "payment_method": pm, "doc_url": errors.DOC_URL + spec["code"].replace("_", "-")}
    if spec["code"] == "card_declined" or reason == spec["code"] or reason == "authentication_required":
        error["decline_code"] = reason
    return error


def authentication_action(intent: dict, return_url: str | None) -> dict[str, Any]:
    """``next_action`` for a card that asks for 3D Secure: a redirect when a return_url is known."""
    if return_url:
        url = (f"https://hooks.stripe.com/redirect/authenticate/src_{ids.token()}"
               f"?client_secret={intent['client_secret']}")
        return {"type": "redirect_to_url", "redirect_to_url": {"url": url, "return_url": return_url}}
    return {"type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": "", "source": f"src_{ids.token()}"}}
