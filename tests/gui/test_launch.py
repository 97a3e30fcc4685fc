"""How ``helpline join`` picks its face: the window when nobody could type, else the terminal."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import trio

if TYPE_CHECKING:
    from pathlib import Path


def _join(tmp: Path, stdin: int | None, *args: str) -> subprocess.Popen[str]:
    return _helpline(tmp, stdin, "join", *args)


def _helpline(tmp: Path, stdin: int | None, command: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HELPLINE_GUI": "1",
        "HELPLINE_CONFIG": str(tmp / "none.toml"),
        "HELPLINE_RELAY": "",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "peer", command, *args],
        stdin=stdin,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _keeps_running(process: subprocess.Popen[str]) -> None:
    try:
        # The window waits for the customer to type the code: the program keeps running.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(4)
        assert process.poll() is None, process.communicate()
    finally:
        process.kill()
        process.communicate()


def test_started_with_no_input_at_all_join_opens_the_window(tmp_path: Path) -> None:
    _keeps_running(_join(tmp_path, subprocess.DEVNULL))


async def test_the_console_opens_its_window_and_waits_for_the_rep(
    tmp_path: Path, relay_process: str
) -> None:
    console = _helpline(tmp_path, subprocess.DEVNULL, "console", "--relay", relay_process)
    await trio.to_thread.run_sync(_keeps_running, console)


async def test_the_console_takes_a_resume_timeout_like_start_and_join(
    tmp_path: Path, relay_process: str
) -> None:
    args = ["--relay", relay_process, "--resume-timeout", "30"]
    console = _helpline(tmp_path, subprocess.DEVNULL, "console", *args)
    await trio.to_thread.run_sync(_keeps_running, console)


def test_from_a_script_join_without_a_code_says_what_it_needs(tmp_path: Path) -> None:
    process = _join(tmp_path, subprocess.PIPE)
    _, err = process.communicate("", timeout=30)
    assert process.returncode == 2
    assert "give the code (or link) the rep gave you, or --gui for a window" in err
