"""Stripe's search query language (docs.stripe.com/search), as reference_impl.search_query reads it."""

from __future__ import annotations

import pytest

from reference_impl.search_query import (
    NUMERIC, STRING, TOKEN, SearchField, SearchQueryError, compile_query, parse, tokenize,
)

FIELDS = {
    "amount": SearchField(NUMERIC),
    "created": SearchField(NUMERIC),
    "currency": SearchField(TOKEN),
    "customer": SearchField(TOKEN),
    "status": SearchField(TOKEN),
    "metadata": SearchField(TOKEN, keyed=True),
    "name": SearchField(STRING),
    "billing.postal_code": SearchField(TOKEN),
}

OBJECTS = {
    "small_usd": {"amount": 500, "created": 100, "currency": "usd", "customer": None, "status": "succeeded",
                  "metadata": {"order": "1", "note": 'say "hi"'}, "name": "one two three four",
                  "billing": {"postal_code": "12345"}},
    "mid_eur": {"amount": 1000, "created": 200, "currency": "eur", "customer": "cus_A", "status": "canceled",
                "metadata": {"order": "2"}, "name": "two three", "billing": {"postal_code": None}},
    "big_usd": {"amount": 2000, "created": 300, "currency": "usd", "customer": "cus_B",
                "status": "requires_payment_method", "metadata": {}, "name": None, "billing": None},
}


def matching(query: str) -> set[str]:
    predicate = compile_query(query, FIELDS)
    return {name for name, obj in OBJECTS.items() if predicate(obj)}


def error(query: str) -> SearchQueryError:
    with pytest.raises(SearchQueryError) as caught:
        compile_query(query, FIELDS)
    return caught.value


# ---------------------------------------------------------------- operators


@pytest.mark.parametrize("query, expected", [
    ("amount:1000", {"mid_eur"}),
    ("amount>1000", {"big_usd"}),
    ("amount<1000", {"small_usd"}),
    ("amount>=1000", {"mid_eur", "big_usd"}),
    ("amount<=1000", {"small_usd", "mid_eur"}),
    ("created>150", {"mid_eur", "big_usd"}),
])
def test_numeric_comparators(query, expected):
    assert matching(query) == expected


def test_numeric_values_may_be_quoted():
    # "Quotation marks are optional for numeric values." / amount>="10"
    assert matching('amount>="1000"') == matching("amount>=1000") == {"mid_eur", "big_usd"}


def test_exact_match_on_a_token_is_case_insensitive():
    assert matching('currency:"USD"') == {"small_usd", "big_usd"}
    assert matching('status:"Canceled"') == {"mid_eur"}


def test_exact_match_on_a_string_takes_the_words_in_order():
    # name:"one two three" matches "one two three" and "one two three four"
    assert matching('name:"two three"') == {"small_usd", "mid_eur"}
    assert matching('name:"three two"') == set()


def test_substring_match_on_a_string_needs_three_characters():
    assert matching('name~"hre"') == {"small_usd", "mid_eur"}
    assert "at least 3 characters" in error('name~"hr"').problem


def test_metadata_is_searched_by_key():
    assert matching('metadata["order"]:"2"') == {"mid_eur"}
    assert matching("metadata['order']:'1'") == {"small_usd"}


def test_dotted_field_names_reach_nested_values():
    assert matching('billing.postal_code:"12345"') == {"small_usd"}
    assert matching("billing.postal_code:null") == {"mid_eur", "big_usd"}


def test_null_tests_presence():
    assert matching("customer:null") == {"small_usd"}
    assert matching("-customer:null") == {"mid_eur", "big_usd"}
    assert matching('-metadata["order"]:null') == {"small_usd", "mid_eur"}  # "is a metadata key"
    assert matching('metadata["order"]:NULL') == {"big_usd"}


# ---------------------------------------------------------------- quoting


def test_single_and_double_quotes_are_both_strings():
    assert matching("currency:'eur'") == matching('currency:"eur"') == {"mid_eur"}


def test_backslash_escapes_a_quote_inside_quotes():
    assert matching(r'metadata["note"]:"say \"hi\""') == {"small_usd"}
    assert matching(r"metadata['note']:'say \"hi\"'") == {"small_usd"}


def test_string_values_must_be_quoted():
    problem = error("status:succeeded")
    assert "quoted" in problem.problem and problem.position == 7


def test_an_unclosed_quote_is_reported_where_it_opens():
    problem = error('status:"succeeded')
    assert "never closed" in problem.problem and problem.position == 7


def test_numbers_are_their_own_tokens_and_words_may_hold_dots():
    kinds = [(t.kind, t.text) for t in tokenize("billing.postal_code:12345")]
    assert kinds == [("word", "billing.postal_code"), ("op", ":"), ("number", "12345"), ("end", "")]


# ---------------------------------------------------------------- negation


def test_minus_negates_a_clause():
    assert matching('-currency:"usd"') == {"mid_eur"}
    assert matching("-amount>1000") == {"small_usd", "mid_eur"}


def test_negation_binds_to_its_clause_only():
    assert matching('-currency:"usd" amount>=1000') == {"mid_eur"}
    assert matching('-currency:"usd" OR amount>1500') == {"mid_eur", "big_usd"}


def test_minus_must_touch_its_field():
    assert error('- currency:"usd"').position == 2


# ---------------------------------------------------------------- AND / OR


def test_whitespace_means_and():
    assert matching('currency:"usd" amount>1000') == {"big_usd"}


@pytest.mark.parametrize("keyword", ["AND", "and", "And"])
def test_and_keyword_in_any_case(keyword):
    assert matching(f'currency:"usd" {keyword} amount>1000') == {"big_usd"}


@pytest.mark.parametrize("keyword", ["OR", "or"])
def test_or_keyword_in_any_case(keyword):
    assert matching(f'status:"canceled" {keyword} amount>1500') == {"mid_eur", "big_usd"}


def test_or_over_many_clauses():
    assert matching('amount:500 OR amount:1000 OR amount:2000') == set(OBJECTS)


@pytest.mark.parametrize("query, position", [
    ('currency:"usd" AND amount>1 OR status:"canceled"', 28),
    ('currency:"usd" OR amount>1 AND status:"canceled"', 27),
    ('currency:"usd" amount>1 OR status:"canceled"', 24),  # whitespace is AND too
    ('currency:"usd" OR amount>1 status:"canceled"', 27),
])
def test_and_and_or_are_mutually_exclusive(query, position):
    problem = error(query)
    assert "mutually exclusive" in problem.problem and problem.position == position


def test_a_field_may_share_a_keyword_name_when_followed_by_an_operator():
    # "or:" begins a clause (an unknown field here), it is not the OR keyword
    assert "not a searchable field" in error('status:"x" or:"y"').problem


def test_parse_keeps_the_combinator_and_the_clauses():
    query = parse('-metadata["k"]:"v" OR amount>=5')
    assert query.combinator == "or"
    first, second = query.clauses
    assert (first.field, first.key, first.op, first.value.text, first.negated) == ("metadata", "k", ":", "v", True)
    assert (second.field, second.op, second.value.kind, second.negated) == ("amount", ">=", "number", False)


# ---------------------------------------------------------------- refused queries


@pytest.mark.parametrize("query, position, words", [
    ("", 0, "empty"),
    ("   ", 0, "empty"),
    ("amount>", 7, "value must follow"),
    ("amount 5", 7, "an operator"),
    (":5", 0, "a field name"),
    ('status:"a"amount>1', 10, "separated"),
    ('status:"a" AND', 14, "must follow AND"),
    ("amount>1 & status:'x'", 9, "unexpected character"),
    ("amount:>5", 7, "expected a value"),
    ("metadata[order]:'1'", 9, "quoted key"),
    ("metadata['order':'1'", 16, "]"),
    ("amount:'ten'", 7, "not a number"),
    ("amount>null", 7, "null only works with :"),
    ('unknown:"x"', 0, "not a searchable field"),
    ('metadata:"x"', 0, "searched by key"),
    ('status["k"]:"x"', 0, "takes no [key]"),
])
def test_malformed_queries_name_the_problem_and_its_position(query, position, words):
    problem = error(query)
    assert words in problem.problem and problem.position == position
    assert f"position {position}" in str(problem)


@pytest.mark.parametrize("query, op_at", [('status>"succeeded"', 6), ('currency~"usd"', 8), ('name<"x"', 4)])
def test_an_operator_the_field_type_lacks_is_refused(query, op_at):
    # "Using an unsupported operator, such as specifying greater than (>) on a string, returns an error."
    problem = error(query)
    assert "not supported" in problem.problem and problem.position == op_at


def test_the_predicate_is_compiled_once_and_reused():
    predicate = compile_query('currency:"usd" amount>=1000', FIELDS)
    assert [predicate(obj) for obj in OBJECTS.values()] == [False, False, True]
    assert [predicate(obj) for obj in OBJECTS.values()] == [False, False, True]
