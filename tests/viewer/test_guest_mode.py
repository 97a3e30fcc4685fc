"""``helpline start`` with a GUI: trio runs inside Qt's loop, the viewer window opens when a
view starts and closes when it stops, and the command line keeps reading stdin."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from peer._console import open_console, python_command
from tests.e2e.test_cli import CODE, _env
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from pathlib import Path


async def test_the_viewer_window_opens_and_closes_with_the_view(
    relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    env = _env(os.fspath(tmp_path))
    gui = {**env, "DISPLAY": "", "QT_QPA_PLATFORM": "offscreen"}
    rep_argv = python_command(
        "peer", "--log-level", "info", "start", "--name", "Alice", "--relay", relay_process
    )
    async with open_probe(xdisplay), open_console("rep", rep_argv, env=gui) as alice:
        code = (await alice.expect(rf"^Session code: {CODE}$")).group(1)
        bob_argv = python_command("peer", "join", code, "--name", "Bob", "--relay", relay_process)
        terminal_only = {**env, "DISPLAY": xdisplay, "HELPLINE_GUI": "0"}
        async with open_console("Bob", bob_argv, env=terminal_only) as bob:
            await alice.expect(r"^\* Bob joined \(customer\)$")
            await alice.send("/control")
            await bob.expect(r"Allow\? \[y/N\]$")
            await bob.send("y")
            await alice.expect(r"viewer window opened: Bob's desktop — control on")
            await alice.send("/status")  # stdin still read while Qt runs the loop
            await alice.expect(r"^Bob: you may control their desktop \(control on\)$")
            await alice.send("/stop")
            await alice.expect(r"viewer window closed")
            await bob.expect(r"^\* Sharing stopped by Alice")
