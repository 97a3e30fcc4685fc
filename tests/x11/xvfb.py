"""A private X display for tests: Xvfb on a display number it picks itself.

``-displayfd`` makes Xvfb choose a free number and write it to a pipe, so
tests never collide with another Xvfb on the machine; ``-noreset`` keeps
what a test set up (monitors) when a short-lived client disconnects.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

STARTUP_TIMEOUT = 10.0


def have_xvfb() -> bool:
    return shutil.which("Xvfb") is not None


@contextmanager
def open_xvfb(width: int = 1280, height: int = 800) -> Iterator[str]:
    """Start Xvfb with one *width* x *height* 24-bit screen; yield its display name."""
    if not have_xvfb():
        pytest.fail("Xvfb is missing: ./dev test installs it (Debian package xvfb)")
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        [
            *("Xvfb", "-displayfd", str(write_end), "-nolisten", "tcp", "-noreset"),
            *("-screen", "0", f"{width}x{height}x24"),
        ],
        pass_fds=[write_end],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        number = _read_display_number(read_end, process)
        yield f":{number}"
    finally:
        os.close(read_end)
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_display_number(fd: int, process: subprocess.Popen[bytes]) -> int:
    import select

    text = b""
    while not text.endswith(b"\n"):
        ready, _, _ = select.select([fd], [], [], STARTUP_TIMEOUT)
        chunk = os.read(fd, 16) if ready else b""
        if not chunk:
            raise RuntimeError(f"Xvfb did not start (exit code {process.poll()})")
        text += chunk
    return int(text)


def set_monitors(display: str, *boxes: tuple[int, int, int, int]) -> None:
    """Split the screen into RandR monitors (x, y, width, height), as a two-head desktop has."""
    env = {**os.environ, "DISPLAY": display}
    for n, (x, y, w, h) in enumerate(boxes, 1):
        geometry = f"{w}/{w // 4}x{h}/{h // 4}+{x}+{y}"
        # The first takes over Xvfb's one output, so its whole-screen monitor goes.
        output = "screen" if n == 1 else "none"
        subprocess.run(
            ["xrandr", "--setmonitor", f"HL-{n}", geometry, output],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
