"""The customer's window joined to a rep on a real relay, for tests of what the customer sees."""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial
from typing import TYPE_CHECKING

import trio

from codec import DEFAULT_POLICY
from peer._file_settings import FileSettings
from peer.gui import CustomerWindow, run_customer_window
from tests.gui.helpers import pumping, until
from tests.gui.rep_side import open_rep

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from PySide6.QtWidgets import QApplication, QWidget

    from codec import Activity, SessionTimings
    from peer.gui._question import QuestionPanel
    from tests.gui.rep_side import RepSide


def click(widget: object) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)  # type: ignore[call-overload]


def click_in_window(widget: QWidget) -> None:
    """A left click on *widget* delivered through its window, as a real mouse's.

    Unlike :func:`click` (sent to the widget itself), this goes the way the
    platform's clicks go, so a modal dialog over the window stops it.
    """
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window = widget.window()
    handle = window.windowHandle()
    assert handle is not None, "the window is not shown"
    where = widget.mapTo(window, widget.rect().center())
    QTest.mouseClick(handle, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, where)


async def allow(question: QuestionPanel | None) -> None:
    """Click Allow on *question* once it can be clicked (it is held a moment after showing)."""
    assert question is not None
    await until(question.allow.isEnabled, "Allow to become clickable", 5)
    click(question.allow)


@asynccontextmanager
async def open_customer_window(
    app: QApplication,
    relay: str,
    tmp: Path,
    *,
    code: str = "",
    relay_field: str | None = None,
    timings: SessionTimings | None = None,
) -> AsyncIterator[CustomerWindow]:
    """The window as ``helpline join --gui`` shows it, running until the block ends."""
    window = CustomerWindow()
    settings = FileSettings(download_dir=tmp / "downloads", shared_root=tmp / "bob")
    (tmp / "bob").mkdir(exist_ok=True)
    run = partial(
        run_customer_window,
        code,
        "Bob",
        relay if relay_field is None else relay_field,
        DEFAULT_POLICY,
        settings,
        10.0,
        window=window,
        timings=timings,
    )
    async with pumping(app), trio.open_nursery() as nursery:
        nursery.start_soon(run)
        await until(window.isVisible, "the customer's window to show")
        yield window
        window.close()
        nursery.cancel_scope.cancel()


@asynccontextmanager
async def open_joined(
    app: QApplication, relay: str, display: str, tmp: Path
) -> AsyncIterator[tuple[RepSide, CustomerWindow]]:
    """A rep (API) and the customer's window, joined by typing the code and clicking Join."""
    async with (
        open_rep(relay, display, tmp) as rep,
        open_customer_window(app, relay, tmp) as window,
    ):
        window.form.code.setText(str(rep.session.code))
        click(window.form.join_button)
        await until(lambda: window.in_session, "the customer's window to join")
        await until(lambda: rep.session.primary is not None, "the rep to see the customer")
        yield rep, window


async def asked(rep: RepSide, window: CustomerWindow, activity: Activity) -> QuestionPanel:
    """The rep asks the primary customer for *activity*; the question the window opens."""
    customer = rep.session.primary
    assert customer is not None
    await rep.sharing.ask(customer, activity)
    await until(lambda: window.question is not None, "the consent question")
    assert window.question is not None
    return window.question
