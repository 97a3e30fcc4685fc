"""codec's public surface: ``codec/__init__.py`` re-exports, in order, and misses nothing.

Private modules (``codec/_x.py``, ``codec/screen/_x.py``) each list in
``__all__`` what they offer the rest of codec; the root (through the
``codec.screen`` subpackage for the screen codec) re-exports the public part,
and relay, peer and the benchmarks import only from the root. The checks are
generic: a module added later is covered without editing this file.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import codec
import codec.screen

if TYPE_CHECKING:
    from types import ModuleType

PRIVATE_MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(codec.__path__, "codec.")
    if m.name.rpartition(".")[2].startswith("_")
)
#: The package roots, each of which only re-exports from modules below it.
PACKAGES = [codec, codec.screen]


def isort_key(name: str) -> tuple[int, list[int | str]]:
    """ruff's RUF022 order: CONSTANTS, then Classes, then functions, each naturally sorted."""
    category = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return category, [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def private(name: str) -> ModuleType:
    return importlib.import_module(name)


def is_private_path(module_name: str) -> bool:
    """``codec._x`` or ``codec.screen._x``: some part below ``codec`` is private."""
    head, _, rest = module_name.partition(".")
    return head == "codec" and any(part.startswith("_") for part in rest.split("."))


def test_the_screen_codec_lives_in_its_own_subpackage() -> None:
    assert "codec.screen._encoder" in PRIVATE_MODULES
    assert not any(name.startswith("codec._screen") for name in PRIVATE_MODULES)


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_package_all_is_sorted_without_duplicates(package: ModuleType) -> None:
    assert package.__all__ == sorted(package.__all__, key=isort_key)
    assert len(set(package.__all__)) == len(package.__all__)


def test_codec_re_exports_the_whole_screen_subpackage() -> None:
    assert [n for n in codec.screen.__all__ if getattr(codec, n, None) is None] == []


def test_every_name_in_codec_all_exists() -> None:
    missing = [name for name in codec.__all__ if not hasattr(codec, name)]
    assert missing == []


def test_every_exported_class_and_function_lives_in_a_private_module() -> None:
    for name in codec.__all__:
        obj = getattr(codec, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert is_private_path(obj.__module__), name


def is_re_export(node: ast.stmt, package: str) -> bool:
    return isinstance(node, ast.ImportFrom) and (
        node.module in ("__future__", "typing") or (node.module or "").startswith(package + ".")
    )


def is_lazy_re_export(node: ast.stmt, package: str) -> bool:
    """The parts of a PEP 562 lazy import: names for the type checker, the hook, its names."""
    if isinstance(node, ast.If) and isinstance(node.test, ast.Name):
        return node.test.id == "TYPE_CHECKING" and all(is_re_export(n, package) for n in node.body)
    if isinstance(node, ast.FunctionDef):
        return node.name == "__getattr__"
    return False


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.__name__)
def test_package_init_only_re_exports(package: ModuleType) -> None:
    assert package.__file__ is not None
    tree = ast.parse(Path(package.__file__).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # the docstring
        if is_re_export(node, package.__name__) or is_lazy_re_export(node, package.__name__):
            continue
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            if names in (["__all__"], ["_SCREEN_NAMES"]):
                continue
        raise AssertionError(f"{package.__file__} line {node.lineno} does more than re-export")


def fresh_python_says(script: str) -> str:
    """What *script* prints in a new interpreter (nothing imported yet)."""
    argv = [sys.executable, "-c", script]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def test_importing_codec_leaves_the_screen_codec_and_its_libraries_unloaded() -> None:
    """A relay or a chat-only peer pays nothing for PyAV, Pillow, numpy or TurboJPEG."""
    heavy = ("codec.screen", "av", "PIL", "numpy", "simplejpeg", "spake2")
    script = f"import sys, codec; print([m for m in {heavy!r} if m in sys.modules])"
    assert fresh_python_says(script) == "[]"


def test_the_screen_names_import_on_first_use_as_the_same_objects() -> None:
    script = (
        "import codec, codec.screen; "
        "print(codec.ScreenEncoder is codec.screen.ScreenEncoder, "
        "sorted(codec._SCREEN_NAMES) == sorted(codec.screen.__all__))"
    )
    assert fresh_python_says(script) == "True True"


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
