"""One module per resource; each declares its ROUTES as (method, path, handler)."""

from reference_impl.resources import payment_intents

ROUTES = [
    *payment_intents.ROUTES,
]
