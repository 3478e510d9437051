"""The search index finds exactly what matching every stored object finds, however objects change."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from reference_impl.resources.search import PAYMENT_INTENT_FIELDS, _matching
from reference_impl.search_index import SearchIndex, index_is_cheaper
from reference_impl.search_query import parse, predicate
from reference_impl.store import Collection

AMOUNTS = st.sampled_from([50, 999, 1000, 1001, 2000, 7777])
CURRENCIES = st.sampled_from(["usd", "eur", "USD"])
STATUSES = st.sampled_from(["requires_payment_method", "succeeded", "canceled"])
METADATA = st.dictionaries(st.sampled_from(["order", "shop"]), st.sampled_from(["1", "2", "A"]), max_size=2)
CLAUSES = st.sampled_from([
    "amount>1000", "amount>=1000", "amount<1001", "amount<=999", "amount:2000", "amount:2000.0",
    'currency:"usd"', 'currency:"eur"', 'status:"succeeded"', 'metadata["order"]:"1"', 'metadata["shop"]:"a"',
    "-amount>1000", "customer:null", 'customer:"cus_1"',
])
QUERIES = st.lists(CLAUSES, min_size=1, max_size=3).flatmap(
    lambda clauses: st.sampled_from([" AND ".join(clauses), " OR ".join(clauses)]))
CHANGE = st.fixed_dictionaries({}, optional={"amount": AMOUNTS, "currency": CURRENCIES, "status": STATUSES,
                                             "metadata": METADATA, "customer": st.sampled_from([None, "cus_1"])})


def intent(number: int, amount: int, currency: str, metadata: dict) -> dict:
    return {"id": f"pi_{number}", "amount": amount, "currency": currency, "status": "requires_payment_method",
            "metadata": metadata, "customer": None}


@settings(max_examples=150, deadline=None)
@given(objects=st.lists(st.tuples(AMOUNTS, CURRENCIES, METADATA), min_size=0, max_size=40),
       changes=st.lists(st.tuples(st.integers(0, 39), CHANGE), max_size=15),
       query_text=QUERIES, below=st.one_of(st.none(), st.integers(0, 40)), wanted=st.integers(1, 50))
def test_indexed_search_equals_matching_every_object(objects, changes, query_text, below, wanted):
    collection = Collection()
    for number, (amount, currency, metadata) in enumerate(objects[: len(objects) // 2]):
        collection.add(intent(number, amount, currency, dict(metadata)))
    collection.search_index(PAYMENT_INTENT_FIELDS)  # built half way: later objects and changes must be caught up
    for number, (amount, currency, metadata) in enumerate(objects[len(objects) // 2:], start=len(objects) // 2):
        collection.add(intent(number, amount, currency, dict(metadata)))
    for number, change in changes:
        if number < len(objects):
            collection.get(f"pi_{number}").update(change)
    query = parse(query_text)
    matches = predicate(query, PAYMENT_INTENT_FIELDS)
    start = len(collection) if below is None else min(below, len(collection))
    expected = [(p, collection.at(p)) for p in range(start - 1, -1, -1) if matches(collection.at(p))]
    found = list(_matching(collection, PAYMENT_INTENT_FIELDS, query, matches, start, wanted))
    assert found == expected
    index = collection.search_index(PAYMENT_INTENT_FIELDS)
    lists = index.candidates(query)
    if lists is not None:  # whether or not the planner used them, the candidates hold every match
        candidates = {p for positions in lists for p in positions}
        assert {p for p, _ in expected} <= candidates


def test_the_planner_walks_when_many_values_match_and_merges_when_few_do():
    spread = [[position] for position in range(0, 100_000, 2)]  # half the store, each its own value
    rare = [[5, 70_000]]
    assert not index_is_cheaper(spread, 100_000, wanted=11)
    assert index_is_cheaper([list(range(0, 100_000, 2))], 100_000, wanted=11)  # the same half under one value
    assert index_is_cheaper(rare, 100_000, wanted=11)
    assert index_is_cheaper([[]], 100_000, wanted=11)  # nothing matches: nothing to walk


def test_values_leave_the_index_when_no_object_holds_them():
    index = SearchIndex(PAYMENT_INTENT_FIELDS)
    index.put(0, intent(0, 1234, "usd", {}))
    index.put(0, intent(0, 2000, "usd", {}))
    assert index.candidates(parse("amount<2000")) == []
    assert index.candidates(parse("amount:2000")) == [[0]]
