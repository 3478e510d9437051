"""One module per resource; each declares its ROUTES as (method, path, handler).

Routes are matched in order: a literal path (``/v1/payment_intents/search``) must come
before a pattern that would also match it (``/v1/payment_intents/{intent}``).
"""

from reference_impl.resources import (
    bank_accounts, charges, customer_balance, customers, payment_intents, saved_payment_methods, search,
    setup_attempts, setup_intents,
)

ROUTES = [
    *search.ROUTES,
    *payment_intents.ROUTES,
    *bank_accounts.ROUTES,
    *customer_balance.ROUTES,
    *customers.ROUTES,
    *setup_intents.ROUTES,
    *setup_attempts.ROUTES,
    *saved_payment_methods.ROUTES,
    *charges.ROUTES,
]
