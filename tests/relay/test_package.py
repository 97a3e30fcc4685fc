"""The relay package's public face and its dependency rule."""

from __future__ import annotations

import ast
import pathlib
import subprocess
import sys

import relay

RELAY_DIR = pathlib.Path(relay.__file__).parent


def test_package_exports_exactly_its_public_names() -> None:
    public = {name for name in vars(relay) if not name.startswith("_")}
    # Submodules show up as attributes once imported; they are not exports.
    public -= {p.stem for p in RELAY_DIR.glob("*.py")} | {"annotations"}
    assert public == set(relay.__all__)


def test_every_module_declares_all() -> None:
    for path in RELAY_DIR.glob("*.py"):
        if path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text())
        names = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(t, ast.Name)
        }
        assert "__all__" in names, path.name


def test_relay_never_imports_peer() -> None:
    for path in RELAY_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                continue
            for module in modules:
                assert module.split(".")[0] != "peer", f"{path.name} imports {module}"


def test_every_setting_is_documented() -> None:
    from dataclasses import fields

    for field in fields(relay.RelaySettings):
        assert field.metadata.get("help"), field.name


def test_the_relay_process_loads_no_screen_codec_numpy_or_pake() -> None:
    """Imports are most of an idle relay's memory: it loads what routing needs."""
    heavy = ("codec.screen", "av", "PIL", "numpy", "simplejpeg", "spake2", "trio_websocket")
    script = f"import sys, relay.cli; print([m for m in {heavy!r} if m in sys.modules])"
    argv = [sys.executable, "-c", script]
    assert subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip() == "[]"
