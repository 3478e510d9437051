"""Declarative request-parameter parsing with Stripe's error for each kind of bad input.

An operation declares ``{name: Field}``; :func:`parse` turns the decoded form tree into
typed values or raises the first :class:`StripeError` (``parameter_unknown``,
``parameter_missing``, ``parameter_invalid_integer``, ...), naming the parameter in the
bracket form the client sent (``metadata[order_id]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from conformance.wire import WireError, as_list
from reference_impl import errors

_INTEGER = re.compile(r"-?\d{1,20}")

UNSET = object()
"""An empty value posted to a parameter that accepts it: Stripe's "unset this"."""


class Field:
    unsettable = False  # whether an empty value means "unset" rather than an error

    def parse(self, value: Any, name: str) -> Any:
        if value == "":
            if self.unsettable:
                return UNSET
            raise errors.parameter_invalid(
                name, f"You passed an empty string for '{name}'. We assume empty values are an attempt "
                f"to unset a parameter; however '{name}' cannot be unset. You should remove '{name}' "
                "from your request or supply a non-empty value.", code="parameter_invalid_empty")
        return self.coerce(value, name)

    def coerce(self, value: Any, name: str) -> Any:
        raise NotImplementedError


def _scalar(value: Any, name: str, what: str) -> str:
    if not isinstance(value, str):
        raise errors.parameter_invalid(name, f"Invalid {what}: {name} must be a {what}, not a hash or array.",
                                       code=f"parameter_invalid_{what}")
    return value


@dataclass
class Int(Field):
    minimum: int | None = 0
    maximum: int | None = None
    unsettable: bool = False

    def coerce(self, value, name):
        text = _scalar(value, name, "integer")
        if not _INTEGER.fullmatch(text):
            raise errors.parameter_invalid(name, f"Invalid integer: {text}", code="parameter_invalid_integer")
        number = int(text)
        if self.minimum is not None and number < self.minimum:
            raise errors.parameter_invalid(
                name, f"This value must be greater than or equal to {self.minimum}.", code="parameter_invalid_integer")
        if self.maximum is not None and number > self.maximum:
            raise errors.parameter_invalid(
                name, f"This value must be less than or equal to {self.maximum}.", code="parameter_invalid_integer")
        return number


@dataclass
class Str(Field):
    max_length: int = 5000
    enum: tuple[str, ...] = ()
    unsettable: bool = False

    def coerce(self, value, name):
        text = _scalar(value, name, "string")
        if self.enum and text not in self.enum:
            choices = ", ".join(self.enum[:-1]) + f", or {self.enum[-1]}" if len(self.enum) > 1 else self.enum[0]
            raise errors.StripeError(400, f"Invalid {name}: must be one of {choices}", param=name)
        if len(text) > self.max_length:
            raise errors.parameter_invalid(
                name, f"Invalid string: {text[:20]}...; must be at most {self.max_length} characters",
                code="parameter_invalid_string")
        return text


def Enum(*choices: str, unsettable: bool = False) -> Str:
    return Str(enum=choices, unsettable=unsettable)


class Bool(Field):
    def coerce(self, value, name):
        text = _scalar(value, name, "boolean")
        if text not in ("true", "false"):
            raise errors.StripeError(400, f"Invalid boolean: {text}", param=name)
        return text == "true"


@dataclass
class BoolOr(Field):
    """``off_session``: a boolean or one of a few strings."""

    choices: tuple[str, ...] = ()

    def coerce(self, value, name):
        text = _scalar(value, name, "string")
        if text in ("true", "false"):
            return text == "true"
        if text in self.choices:
            return text
        raise errors.StripeError(400, f"Invalid {name}: must be a boolean or one of {', '.join(self.choices)}",
                                 param=name)


@dataclass
class Array(Field):
    item: Field = field(default_factory=Str)
    max_items: int = 100
    unsettable: bool = False

    def coerce(self, value, name):
        try:
            items = as_list(value, name)
        except WireError as exc:
            raise errors.StripeError(400, str(exc), param=name) from exc
        if len(items) > self.max_items:
            raise errors.StripeError(400, f"Invalid array: {name} accepts at most {self.max_items} items.",
                                     param=name)
        return [self.item.parse(item, f"{name}[{i}]") for i, item in enumerate(items)]


@dataclass
class Obj(Field):
    """A hash with known keys; unknown keys are refused like unknown top-level params, missing
    ``required`` ones like missing top-level params (``shipping[name]``)."""

    fields: Mapping[str, Field]
    unsettable: bool = False
    required: tuple[str, ...] = ()

    def coerce(self, value, name):
        if not isinstance(value, dict):
            raise errors.StripeError(400, f"Invalid object: {name} must be a hash.", param=name)
        return parse(self.fields, value, self.required, prefix=name)


class AnyHash(Field):
    """A hash this implementation stores but does not model (Connect, mandates, ...)."""

    unsettable = True

    def coerce(self, value, name):
        if not isinstance(value, dict):
            raise errors.StripeError(400, f"Invalid object: {name} must be a hash.", param=name)
        return value


METADATA_MAX_KEYS = 50
METADATA_KEY_LENGTH = 40
METADATA_VALUE_LENGTH = 500


@dataclass
class Metadata(Field):
    """docs.stripe.com/api/metadata: 50 keys, keys up to 40 characters, values up to 500.

    Parses to ``{key: value-or-UNSET}``; UNSET (an empty value) removes that key, or all of
    them when the operation lets ``metadata`` itself be unset.
    """

    unsettable: bool = True

    def coerce(self, value, name):
        if not isinstance(value, dict):
            raise errors.StripeError(400, "Invalid hash", param=name)
        parsed: dict[str, Any] = {}
        for key, item in value.items():
            where = f"{name}[{key}]"
            if not isinstance(item, str):
                raise errors.StripeError(400, f"Invalid value for {where}: metadata values must be strings.",
                                         param=where)
            if len(key) > METADATA_KEY_LENGTH:
                raise errors.StripeError(
                    400, f"Metadata keys can have a maximum length of {METADATA_KEY_LENGTH} characters.", param=where)
            if len(item) > METADATA_VALUE_LENGTH:
                raise errors.StripeError(
                    400, f"Metadata values can have a maximum length of {METADATA_VALUE_LENGTH} characters.",
                    param=where)
            parsed[key] = UNSET if item == "" else item
        return parsed


def apply_metadata(current: dict[str, str], change: Any, param: str = "metadata") -> dict[str, str]:
    """The metadata after an update: None keeps it, UNSET clears all, UNSET values remove keys; at most 50 keys."""
    if change is None:
        return current
    if change is UNSET:
        return {}
    merged = dict(current)
    for key, item in change.items():
        if item is UNSET:
            merged.pop(key, None)
        else:
            merged[key] = item
    if len(merged) > METADATA_MAX_KEYS:
        raise errors.StripeError(
            400, f"You can have up to {METADATA_MAX_KEYS} metadata keys, with key names up to "
            f"{METADATA_KEY_LENGTH} characters long and values up to {METADATA_VALUE_LENGTH} characters long.",
            param=param)
    return merged


def parse_fields(spec: Mapping[str, Field], tree: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    parsed: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}[{key}]" if prefix else key
        declared = spec.get(key)
        if declared is None:
            raise errors.parameter_unknown(name)
        parsed[key] = declared.parse(value, name)
    return parsed


def parse(spec: Mapping[str, Field], tree: Mapping[str, Any], required: tuple[str, ...] = (),
          prefix: str = "") -> dict[str, Any]:
    """Parse a request's parameters: unknown first, then each value, then what is missing."""
    parsed = parse_fields(spec, tree, prefix)
    for name in required:
        if name not in parsed:
            raise errors.parameter_missing(f"{prefix}[{name}]" if prefix else name)
    return parsed


EXPAND = Array(Str(max_length=5000))
