from __future__ import annotations

import pytest

from conformance.matchers import mismatches

BODY = {"id": "pi_123", "amount": 2000, "livemode": False, "customer": None, "metadata": {"a": "1"},
        "data": [{"id": "pi_3", "n": 3}, {"id": "pi_2", "n": 2}, {"id": "pi_1", "n": 1}]}


@pytest.mark.parametrize("expected", [
    {"id": "pi_123"},
    {"amount": 2000, "customer": None},
    {"id": {"$prefix": "pi_"}, "amount": {"$gt": 1999, "$lte": 2000}},
    {"metadata": {"a": "1"}},
    {"metadata": {"$exact": {"a": "1"}}},
    {"missing": {"$absent": True}, "id": {"$present": True}},
    {"id": {"$regex": "^pi_\\d+$"}, "amount": {"$type": "integer"}, "customer": {"$type": "null"}},
    {"data": {"$length": 3, "$contains": {"id": "pi_2"}, "$excludes": {"id": "pi_9"}}},
    {"data": {"$each": {"id": {"$prefix": "pi_"}}}},
    {"data": {"$in_order": [{"id": "pi_3"}, {"id": "pi_1"}]}},
    {"data": [{"id": "pi_3"}, {"id": "pi_2"}, {"id": "pi_1"}]},
    {"amount": {"$in": [1000, 2000]}, "id": {"$ne": "pi_1", "$not": {"$prefix": "seti_"}}},
    {"data": {"$length": {"$gte": 2}}},
])
def test_matching_expectations(expected):
    assert mismatches(expected, BODY) == []


@pytest.mark.parametrize("expected, fragment", [
    ({"id": "pi_124"}, "id: expected 'pi_124', got 'pi_123'"),
    ({"livemode": 0}, "livemode: expected 0, got False"),
    ({"amount": "2000"}, "amount: expected '2000', got 2000"),
    ({"missing": 1}, "missing: expected 1, but the key is absent"),
    ({"customer": {"$absent": True}}, "customer: expected no key"),
    ({"metadata": {"$exact": {}}}, "metadata: expected exactly {}"),
    ({"amount": {"$gt": 2000}}, "amount: expected a number > 2000"),
    ({"data": {"$in_order": [{"id": "pi_1"}, {"id": "pi_3"}]}}, "item 2 of 2"),
    ({"data": [{"id": "pi_3"}]}, "data: expected 1 items, got 3"),
    ({"data": {"$each": {"n": {"$gt": 1}}}}, "data[2].n: expected a number > 1"),
    ({"id": {"$bogus": 1}}, "unknown matcher $bogus"),
])
def test_mismatches_name_the_path_and_both_values(expected, fragment):
    problems = mismatches(expected, BODY)
    assert problems and any(fragment in p for p in problems), problems


def test_contains_all_wants_an_item_for_each_expectation_in_any_order():
    data = [{"id": "pi_2"}, {"id": "pi_1"}]
    assert mismatches({"$contains_all": [{"id": "pi_1"}, {"id": "pi_2"}]}, data) == []
    problems = mismatches({"data": {"$contains_all": [{"id": "pi_1"}, {"id": "pi_3"}]}}, {"data": data})
    assert len(problems) == 1 and "data: expected an item matching {'id': 'pi_3'}" in problems[0]
    assert mismatches({"$contains_all": [{"id": "pi_1"}]}, "not a list") == ["(body): expected a list, got 'not a list'"]
