"""Stripe's search query language (docs.stripe.com/search): tokenizer, parser and compiler.

A query is clauses joined by whitespace or ``AND`` (all must match) or by ``OR`` (any may
match); the two are mutually exclusive, and there are no parentheses. A clause is
``[-]field OP value``: ``field`` is a name or ``metadata["key"]``, ``OP`` one of
``: ~ > < >= <=``, ``value`` a quoted string (single or double quotes, ``\\`` escapes), a
number (quotes optional) or ``null`` (presence). Which operators a field takes depends on its
type: ``token`` fields match exactly and case-insensitively with ``:``, ``string`` fields also
take ``~`` (a substring of 3 or more characters), ``numeric`` fields take ``:`` and the
comparisons.

:func:`compile_query` turns a query into one predicate, checked against the searchable fields
once, so matching an object costs no parsing. Every error names its position in the query.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Any, Callable, Mapping

TOKEN, STRING, NUMERIC = "token", "string", "numeric"
OPERATORS = {TOKEN: (":",), STRING: (":", "~"), NUMERIC: (":", ">", "<", ">=", "<=")}
MIN_SUBSTRING = 3

Predicate = Callable[[Mapping[str, Any]], bool]


class SearchQueryError(ValueError):
    """A query that is not in the language, or asks what its fields cannot answer."""

    def __init__(self, problem: str, position: int):
        super().__init__(f"Invalid search query: {problem} (at position {position}).")
        self.problem = problem
        self.position = position


@dataclass(frozen=True)
class SearchField:
    type: str
    keyed: bool = False  # ``metadata["key"]``: a hash searched by key


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: str  # word, number, string, op, minus, lbracket, rbracket, end
    text: str
    position: int
    spaced: bool  # whitespace comes right before it
    value: str = ""  # a string token's contents, unescaped


_LEXEME = re.compile(r"""
    (?P<space>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<number>\d+(?:\.\d+)?(?![A-Za-z_]))
  | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
  | (?P<op>>=|<=|[:~<>])
  | (?P<minus>-)
  | (?P<lbracket>\[)
  | (?P<rbracket>\])
""", re.VERBOSE | re.DOTALL)
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position, spaced = 0, False
    while position < len(text):
        match = _LEXEME.match(text, position)
        if match is None:
            if text[position] in "\"'":
                raise SearchQueryError(f"the string starting with {text[position]} is never closed", position)
            raise SearchQueryError(f"unexpected character {text[position]!r}", position)
        kind, lexeme = match.lastgroup, match.group()
        if kind == "space":
            spaced = True
        else:
            value = _ESCAPE.sub(r"\1", lexeme[1:-1]) if kind == "string" else ""
            tokens.append(Token(kind, lexeme, position, spaced, value))
            spaced = False
        position = match.end()
    tokens.append(Token("end", "", len(text), spaced))
    return tokens


# ---------------------------------------------------------------- syntax


@dataclass(frozen=True)
class Value:
    kind: str  # string, number or null
    text: str
    position: int


@dataclass(frozen=True)
class Clause:
    field: str
    key: str | None
    op: str
    value: Value
    negated: bool
    position: int
    op_position: int


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    combinator: str  # "and" or "or"


def parse(text: str) -> Query:
    return _Parser(tokenize(text)).query()


class _Parser:
    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.index = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def query(self) -> Query:
        if self.peek().kind == "end":
            raise SearchQueryError("the query is empty", 0)
        clauses = [self.clause()]
        combinator = None
        while self.peek().kind != "end":
            joint = self.peek()
            if not joint.spaced:
                raise SearchQueryError("clauses must be separated by whitespace, AND or OR", joint.position)
            word = self.connector()
            if combinator and word != combinator:
                raise SearchQueryError("AND and OR are mutually exclusive: a query combines its clauses with "
                                       "one of them (whitespace counts as AND)", joint.position)
            combinator = word
            clauses.append(self.clause())
        return Query(tuple(clauses), combinator or "and")

    def connector(self) -> str:
        """``AND`` or ``OR`` (any case) between clauses; bare whitespace means AND."""
        token = self.peek()
        follower = self.peek(1)
        if token.kind == "word" and token.text.lower() in ("and", "or") and (follower.spaced or
                                                                              follower.kind == "end"):
            self.take()
            if follower.kind == "end":
                raise SearchQueryError(f"a clause must follow {token.text}", follower.position)
            return token.text.lower()
        return "and"

    def clause(self) -> Clause:
        start = self.peek()
        negated = start.kind == "minus"
        if negated:
            self.take()
        name = self.expect("word", "a field name", attached=negated)
        key = None
        if self.peek().kind == "lbracket" and not self.peek().spaced:
            self.take()
            key = self.expect("string", 'a quoted key, as in metadata["key"]', attached=True).value
            self.expect("rbracket", "]", attached=True)
        op = self.expect("op", "an operator (:, ~, >, <, >=, <=)", attached=True)
        return Clause(name.text, key, op.text, self.value(op), negated, start.position, op.position)

    def value(self, op: Token) -> Value:
        token = self.peek()
        if token.spaced or token.kind == "end":
            raise SearchQueryError(f"a value must follow {op.text}", token.position)
        self.take()
        if token.kind == "string":
            return Value("string", token.value, token.position)
        if token.kind == "number":
            return Value("number", token.text, token.position)
        if token.kind == "word" and token.text.lower() == "null":
            return Value("null", token.text, token.position)
        if token.kind == "word":
            raise SearchQueryError(f"string values must be quoted, as in \"{token.text}\"", token.position)
        raise SearchQueryError(f"expected a value after {op.text}, found {token.text!r}", token.position)

    def expect(self, kind: str, what: str, attached: bool) -> Token:
        token = self.peek()
        if token.kind != kind or (attached and token.spaced):
            found = "the end of the query" if token.kind == "end" else repr(token.text)
            raise SearchQueryError(f"expected {what}, found {found}", token.position)
        return self.take()


# ---------------------------------------------------------------- meaning


def compile_query(text: str, fields: Mapping[str, SearchField]) -> Predicate:
    """One predicate for the whole query; raises :class:`SearchQueryError` for any mistake."""
    query = parse(text)
    tests = [_clause_predicate(clause, fields) for clause in query.clauses]
    if len(tests) == 1:
        return tests[0]
    combine = all if query.combinator == "and" else any
    return lambda obj: combine(test(obj) for test in tests)


def _clause_predicate(clause: Clause, fields: Mapping[str, SearchField]) -> Predicate:
    spec = _field(clause, fields)
    read = _reader(clause)
    if clause.op not in OPERATORS[spec.type]:
        raise SearchQueryError(f"the operator {clause.op} is not supported on {clause.field}, a {spec.type} field "
                               f"(supported: {' '.join(OPERATORS[spec.type])})", clause.op_position)
    if clause.value.kind == "null":
        if clause.op != ":":
            raise SearchQueryError(f"null only works with :, not {clause.op}", clause.value.position)
        test = _is_null
    else:
        test = _MATCHERS[spec.type](clause)
    if clause.negated:
        return lambda obj: not test(read(obj))
    return lambda obj: test(read(obj))


def _field(clause: Clause, fields: Mapping[str, SearchField]) -> SearchField:
    spec = fields.get(clause.field)
    if spec is None:
        raise SearchQueryError(f"{clause.field} is not a searchable field (searchable: {', '.join(sorted(fields))})",
                               clause.position)
    if spec.keyed and clause.key is None:
        raise SearchQueryError(f'{clause.field} is searched by key, as in {clause.field}["key"]', clause.position)
    if not spec.keyed and clause.key is not None:
        raise SearchQueryError(f"{clause.field} takes no [key]", clause.position)
    return spec


def _reader(clause: Clause) -> Callable[[Mapping[str, Any]], Any]:
    path = clause.field.split(".")
    key = clause.key

    def read(obj: Mapping[str, Any]) -> Any:
        current: Any = obj
        for part in path:
            current = current.get(part) if isinstance(current, Mapping) else None
        if key is not None:
            current = current.get(key) if isinstance(current, Mapping) else None
        return current

    return read


def _is_null(actual: Any) -> bool:
    return actual is None or actual == ""


def _token_matcher(clause: Clause) -> Callable[[Any], bool]:
    wanted = clause.value.text.casefold()
    return lambda actual: actual is not None and str(actual).casefold() == wanted


def _string_matcher(clause: Clause) -> Callable[[Any], bool]:
    wanted = clause.value.text.casefold()
    if clause.op == "~":
        if len(wanted) < MIN_SUBSTRING:
            raise SearchQueryError(f"a substring match needs at least {MIN_SUBSTRING} characters",
                                   clause.value.position)
        return lambda actual: isinstance(actual, str) and wanted in actual.casefold()
    # "contains all of the words from the query in the same order"
    words = wanted.split()
    return lambda actual: isinstance(actual, str) and _contains_run(actual.casefold().split(), words)


def _contains_run(words: list[str], run: list[str]) -> bool:
    return any(words[start:start + len(run)] == run for start in range(len(words) - len(run) + 1))


_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    ":": operator.eq, ">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le,
}


def _numeric_matcher(clause: Clause) -> Callable[[Any], bool]:
    try:
        bound = float(clause.value.text)
    except ValueError:
        raise SearchQueryError(f"{clause.field} is numeric, and {clause.value.text!r} is not a number",
                               clause.value.position) from None
    compare = _COMPARISONS[clause.op]
    return lambda actual: isinstance(actual, (int, float)) and not isinstance(actual, bool) and compare(actual, bound)


_MATCHERS: dict[str, Callable[[Clause], Callable[[Any], bool]]] = {
    TOKEN: _token_matcher, STRING: _string_matcher, NUMERIC: _numeric_matcher,
}
