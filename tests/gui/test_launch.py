"""How ``helpline join`` picks its face: the window when nobody could type, else the terminal."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def _join(tmp: Path, stdin: int | None, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HELPLINE_GUI": "1",
        "HELPLINE_CONFIG": str(tmp / "none.toml"),
        "HELPLINE_RELAY": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "peer", "join", *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_started_with_no_input_at_all_join_opens_the_window(tmp_path: Path) -> None:
    process = _join(tmp_path, subprocess.DEVNULL)
    try:
        # The window waits for the customer to type the code: the program keeps running.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(4)
        assert process.poll() is None, process.communicate()
    finally:
        process.kill()
        process.communicate()


def test_from_a_script_join_without_a_code_says_what_it_needs(tmp_path: Path) -> None:
    process = _join(tmp_path, subprocess.PIPE)
    _, err = process.communicate("", timeout=30)
    assert process.returncode == 2
    assert "give the code (or link) the rep gave you, or --gui for a window" in err
