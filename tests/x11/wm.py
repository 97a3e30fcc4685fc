"""A real window manager (openbox) on a test's Xvfb, for what only a managed desktop shows.

Under a window manager every application window is reparented into a frame
with a title bar, and full screen is a request the manager carries out;
a bare Xvfb has neither.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

STARTUP_TIMEOUT = 10.0


def manager_running(display: str) -> bool:
    """Whether a manager announced itself (``_NET_SUPPORTING_WM_CHECK`` on the root)."""
    from Xlib import X
    from Xlib import display as xdisplay

    conn = xdisplay.Display(display)
    try:
        atom = conn.intern_atom("_NET_SUPPORTING_WM_CHECK")
        prop = conn.screen().root.get_full_property(atom, X.AnyPropertyType)
        return prop is not None and bool(prop.value)
    finally:
        conn.close()


@contextmanager
def open_window_manager(display: str) -> Iterator[None]:
    """Run openbox on *display* until the block ends."""
    if shutil.which("openbox") is None:
        pytest.fail("openbox is missing: ./dev test installs it (Debian package openbox)")
    process = subprocess.Popen(
        ["openbox", "--sm-disable"],
        env={"DISPLAY": display, "PATH": "/usr/bin:/bin", "HOME": "/nonexistent"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not manager_running(display):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"openbox did not start (exit code {process.poll()})")
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
