"""peer's package root re-exports its session API and nothing it lacks."""

from __future__ import annotations

import ast
from pathlib import Path

import peer


def test_peer_all_is_sorted_and_every_name_exists() -> None:
    assert peer.__all__ == sorted(peer.__all__)
    assert all(hasattr(peer, name) for name in peer.__all__)


def test_peer_never_imports_relay() -> None:
    for path in Path(peer.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not [n for n in names if n == "relay" or n.startswith("relay.")], path
