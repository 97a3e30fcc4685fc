"""codec's public surface: ``codec/__init__.py`` re-exports, in order, and misses nothing.

Private modules (``codec/_x.py``) each list in ``__all__`` what they offer
the rest of codec; the root re-exports the public part, and relay, peer and
the benchmarks import only from the root. The checks are generic: a module
added later is covered without editing this file.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import codec

if TYPE_CHECKING:
    from types import ModuleType

PRIVATE_MODULES = sorted(
    m.name for m in pkgutil.iter_modules(codec.__path__) if m.name.startswith("_")
)


def isort_key(name: str) -> tuple[int, list[int | str]]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions, each naturally sorted."""
    category = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return category, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def private(name: str) -> ModuleType:
    return importlib.import_module(f"codec.{name}")


def test_codec_all_is_sorted_without_duplicates() -> None:
    assert codec.__all__ == sorted(codec.__all__, key=isort_key)
    assert len(set(codec.__all__)) == len(codec.__all__)


def test_every_name_in_codec_all_exists() -> None:
    missing = [name for name in codec.__all__ if not hasattr(codec, name)]
    assert missing == []


def test_every_exported_class_and_function_lives_in_a_private_module() -> None:
    for name in codec.__all__:
        obj = getattr(codec, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert obj.__module__.startswith("codec._"), name


def test_codec_init_only_re_exports() -> None:
    tree = ast.parse(Path(codec.__file__).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if isinstance(node, ast.ImportFrom) and (
            node.module == "__future__" or (node.module or "").startswith("codec._")
        ):
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if [t.id for t in targets if isinstance(t, ast.Name)] == ["__all__"]:
                continue
        raise AssertionError(f"codec/__init__.py line {node.lineno} does more than re-export")


@pytest.mark.parametrize("module_name", PRIVATE_MODULES)
def test_every_private_module_has_an_all_of_names_it_defines(module_name: str) -> None:
    module = private(module_name)
    assert isinstance(getattr(module, "__all__", None), list)
    assert [n for n in module.__all__ if not hasattr(module, n)] == []


def test_relay_peer_and_benchmarks_use_codec_only_through_its_root() -> None:
    """Private modules may share helpers inside codec; everyone else sees the root."""
    root = Path(codec.__file__).parent.parent
    offenders = [
        f"{path.relative_to(root)}:{node.lineno}"
        for folder in ("relay", "peer", "benchmarks")
        for path in sorted((root / folder).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("codec.")
    ]
    assert offenders == []
