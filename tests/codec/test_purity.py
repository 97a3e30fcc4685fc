"""codec is sans-IO: no event loop, no sockets, no clock, no Qt, no files.

Checked by reading each module's syntax tree, not by importing it, so a
forbidden import is caught even where it sits in a branch that never runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CODEC = Path(__file__).resolve().parents[2] / "codec"
MODULES = sorted(CODEC.rglob("*.py"))  # the screen subpackage too

#: Top-level packages codec must never import, with why.
FORBIDDEN = {
    "trio": "IO belongs to peer and relay",
    "trio_websocket": "IO belongs to peer and relay",
    "socket": "no sockets in codec",
    "ssl": "no sockets in codec",
    "selectors": "no sockets in codec",
    "asyncio": "no event loop in codec",
    "threading": "no tasks in codec",
    "subprocess": "no processes in codec",
    "time": "time is an argument (now), never read",
    "PySide6": "UI belongs to peer",
    "PyQt5": "UI belongs to peer",
    "PyQt6": "UI belongs to peer",
    "pathlib": "no files in codec",
    "shutil": "no files in codec",
    "tempfile": "no files in codec",
    "sqlite3": "no files in codec",
    "importlib": "imports must be visible to this check",
    "relay": "codec depends on neither relay nor peer",
    "peer": "codec depends on neither relay nor peer",
}
#: Modules whose ``open`` opens a file (``Image.open(io.BytesIO(...))`` is in memory).
FILE_OPENERS = {"io", "os", "codecs", "gzip", "bz2", "lzma", "tarfile", "zipfile", "Image"}


def imported_modules(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_in_memory(call: ast.Call) -> bool:
    first = call.args[0] if call.args else None
    return (
        isinstance(first, ast.Call)
        and isinstance(first.func, ast.Attribute | ast.Name)
        and (first.func.attr if isinstance(first.func, ast.Attribute) else first.func.id)
        in {"BytesIO", "StringIO"}
    )


def file_openings(tree: ast.Module) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"open", "__import__", "exec", "eval"}:
            found.append(f"line {node.lineno}: {func.id}()")
        elif (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and func.value.id in FILE_OPENERS
            and func.attr in {"open", "fdopen", "popen"}
            and not is_in_memory(node)
        ):
            found.append(f"line {node.lineno}: {func.value.id}.{func.attr}()")
    return found


def parse(module: Path) -> ast.Module:
    return ast.parse(module.read_text(encoding="utf-8"), filename=str(module))


def module_id(module: Path) -> str:
    return module.relative_to(CODEC).as_posix()


def test_codec_has_modules_to_check() -> None:
    assert {module_id(m) for m in MODULES} >= {
        "__init__.py",
        "_wire.py",
        "_handshake.py",
        "screen/__init__.py",
        "screen/_decoder.py",
    }


@pytest.mark.parametrize("module", MODULES, ids=module_id)
def test_codec_imports_no_io_clock_or_ui(module: Path) -> None:
    bad = {
        name: FORBIDDEN[name.split(".")[0]]
        for name in imported_modules(parse(module))
        if name.split(".")[0] in FORBIDDEN
    }
    assert bad == {}


@pytest.mark.parametrize("module", MODULES, ids=module_id)
def test_codec_opens_no_files(module: Path) -> None:
    assert file_openings(parse(module)) == []


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("import trio", True),
        ("import trio.lowlevel", True),
        ("from trio import sleep", True),
        ("from time import monotonic", True),
        ("if False:\n    import socket", True),
        ("def f():\n    from PySide6.QtCore import QTimer", True),
        ("from relay._rooms import Room", True),
        ("import timeit", False),
        ("from codec._wire import pack", False),
        ("from . import _wire", False),
    ],
)
def test_the_import_check_catches_what_it_should(source: str, caught: bool) -> None:
    names = imported_modules(ast.parse(source))
    assert any(n.split(".")[0] in FORBIDDEN for n in names) is caught


@pytest.mark.parametrize(
    ("source", "caught"),
    [
        ("open('x')", True),
        ("with open('x', 'rb') as f: pass", True),
        ("io.open('x')", True),
        ("os.open('x', 0)", True),
        ("Image.open('picture.png')", True),
        ("__import__('socket')", True),
        ("Image.open(io.BytesIO(data))", False),
        ("channel.open(payload)", False),
    ],
)
def test_the_file_check_catches_what_it_should(source: str, caught: bool) -> None:
    assert bool(file_openings(ast.parse(source))) is caught
