"""Locate the suite's data (scenarios/, schemas/, fixtures/) wherever the package is installed.

A wheel carries the data inside the package as ``conformance/_data``; an editable
install or a source checkout has it at the top of the repository, which is the only
case the fallback serves.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml


@lru_cache(maxsize=None)
def data_root() -> Traversable:
    packaged = resources.files("conformance").joinpath("_data")
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parent.parent
    if all((checkout / name).is_dir() for name in ("scenarios", "schemas", "fixtures")):
        return checkout
    raise RuntimeError("stripe-conformance data (scenarios/, schemas/, fixtures/) not found in the installed package")


def schemas_dir() -> Traversable:
    return data_root().joinpath("schemas")


def scenarios_dir() -> Traversable:
    return data_root().joinpath("scenarios")


def fixtures_dir() -> Traversable:
    return data_root().joinpath("fixtures")


def walk(root: Traversable, suffixes: tuple[str, ...]) -> list[Traversable]:
    """Every file below ``root`` whose name ends with one of ``suffixes``, in a stable order."""
    found: list[tuple[str, Traversable]] = []

    def visit(node: Traversable, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                visit(child, name + "/")
            elif child.name.endswith(suffixes):
                found.append((name, child))

    visit(root, "")
    return [node for _, node in sorted(found, key=lambda item: item[0])]


# libyaml's loader when PyYAML was built with it: parsing the scenarios with the pure-Python one
# costs seconds at every start of the suite.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(node: Traversable) -> Any:
    return yaml.load(node.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 - a safe loader


def read_yaml_documents(node: Traversable) -> list[Any]:
    return list(yaml.load_all(node.read_text(encoding="utf-8"), Loader=_YAML_LOADER))  # noqa: S506
