"""The rep's console running in the test, started from its own dialog."""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import trio

from codec import DEFAULT_POLICY
from peer._config import PeerConfig
from peer._file_settings import FileSettings
from peer.gui import ConsoleWindow, run_console
from tests.gui.customer import click
from tests.gui.helpers import pumping, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    from codec import Policy, SessionTimings
    from peer.gui import Console, CustomerWindow
    from peer.gui._activities import Action
    from peer.gui._question import QuestionPanel
    from peer.gui._session_tab import SessionTab


def rgb(image: QImage) -> np.ndarray:
    from PySide6.QtGui import QImage

    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8)
    rows = rows.reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


@asynccontextmanager
async def open_console_window(
    app: QApplication,
    relay: str,
    tmp: Path,
    policy: Policy = DEFAULT_POLICY,
    timings: SessionTimings | None = None,
) -> AsyncIterator[tuple[ConsoleWindow, Console]]:
    """``helpline console`` with its start dialog open, prefilled with Alice and *relay*."""
    window = ConsoleWindow(policy.max_sessions)
    settings = FileSettings(download_dir=tmp / "rep-downloads", shared_root=tmp)
    run = partial(
        run_console,
        "Alice",
        PeerConfig(),
        policy,
        settings,
        10.0,
        window=window,
        relay=relay,
        timings=timings,
    )
    async with pumping(app), trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await until(lambda: getattr(window, "console", None) is not None, "the console")
        console: Console = window.console  # type: ignore[attr-defined]
        await until(
            lambda: console.start_dialog is not None and console.start_dialog.isVisible(),
            "the start dialog",
        )
        yield window, console
        window.close()
        if window.confirm is not None:
            window.confirm.close()
        nursery.cancel_scope.cancel()


async def start_session(window: ConsoleWindow, console: Console) -> None:
    """One click on Start, as a rep whose config holds everything does."""
    assert console.start_dialog is not None
    click(console.start_dialog.start_button)
    await until(lambda: console.faces != [], "the session's tab")
    await until(lambda: console.faces[0].tab.code_panel.code.text() != "", "the code")


async def pressed(tab: SessionTab, customer: CustomerWindow, action: Action) -> QuestionPanel:
    """The rep presses *action* once it is on; the question the customer's window opens."""
    await until(lambda: tab.activities.reason(action) is None, f"{action.value} to be on")
    click(tab.activities.buttons[action])
    await until(lambda: customer.question is not None, "the customer's question", 30)
    assert customer.question is not None
    return customer.question
