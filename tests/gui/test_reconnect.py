"""A relay restart as both windows show it: Reconnecting…, Reconnected, the view goes on;
and a relay that never comes back, with the reason (SPEC X3).

A real relay process is killed (SIGKILL: every room and connection gone)
and started again on the same port.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from codec import SessionTimings
from peer.gui._activities import Action
from tests.gui.console import open_console_window, pressed, rgb, start_session
from tests.gui.customer import allow, click, open_customer_window
from tests.gui.helpers import until
from tests.peer.restartable import open_restartable_relay
from tests.sharing.pair import display_pixels
from tests.x11.probe import open_probe

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication


pytestmark = pytest.mark.usefixtures("customer_display")


async def test_a_relay_restart_shows_reconnecting_then_reconnected_and_the_view_restarts(
    qapp: QApplication, xdisplay: str, tmp_path: Path
) -> None:
    async with (
        open_restartable_relay() as relay,
        open_console_window(qapp, relay.url, tmp_path) as (window, console),
    ):
        await start_session(window, console)
        face = console.faces[0]
        tab = face.tab
        code = tab.code_panel.code.text()
        async with open_customer_window(qapp, relay.url, tmp_path, code=code) as customer:
            click(customer.form.join_button)
            await allow(await pressed(tab, customer, Action.VIEW_DESKTOP))
            await until(lambda: tab.viewer.viewer is not None, "the rep's viewer")
            viewer = tab.viewer.viewer
            assert viewer is not None
            viewer.set_fit(False)
            assert tab.connection.text() == customer.connection.text() == ""
            restarts: list[bool] = []
            restart_view = face.sharing.restart_view

            async def counted() -> None:
                restarts.append(True)
                await restart_view()

            face.sharing.restart_view = counted  # type: ignore[method-assign]

            await relay.kill()
            await until(lambda: tab.connection.state == "down", "the rep's Reconnecting…")
            await until(lambda: customer.connection.state == "down", "the customer's")
            for bar in (tab.connection, customer.connection):
                assert bar.text().startswith("Reconnecting… ")  # then the reason, in words
                assert bar.text().endswith("delivered once the connection is back.")
            assert customer.who.text() == "Reconnecting to Alice (support)…"

            await relay.start()
            await until(lambda: tab.connection.state == "back", "the rep's Reconnected", 60)
            await until(lambda: customer.connection.state == "back", "the customer's", 60)
            assert "Reconnected" in tab.chat.lines()
            assert customer.who.text() == "You are connected with Alice (support)."
            await until(lambda: restarts != [], "the viewer to ask for a fresh frame")
            assert tab.viewer.viewer is viewer
            async with open_probe(xdisplay):  # the screen changes after the restart
                expected = display_pixels(xdisplay)
                await until(
                    lambda: np.array_equal(rgb(viewer.screen_widget.grab().toImage()), expected),
                    "the viewer to show the customer's screen as it is now",
                )
            assert customer.share_bar.texts() == ["Alice views your desktop (no control)"]


async def test_a_relay_that_never_comes_back_ends_both_windows_with_the_reason(
    qapp: QApplication, tmp_path: Path
) -> None:
    quick = SessionTimings(resume_timeout=3.0)
    async with (
        open_restartable_relay() as relay,
        open_console_window(qapp, relay.url, tmp_path, timings=quick) as (window, console),
    ):
        await start_session(window, console)
        tab = console.faces[0].tab
        code = tab.code_panel.code.text()
        async with open_customer_window(
            qapp, relay.url, tmp_path, code=code, timings=quick
        ) as customer:
            click(customer.form.join_button)
            await until(lambda: len(tab.roster.rows()) == 2, "the customer to join")
            await relay.kill()
            await until(lambda: customer.connection.state == "lost", "the customer to give up", 30)
            await until(lambda: tab.connection.state == "lost", "the rep to give up", 30)
            for bar in (tab.connection, customer.connection):
                assert bar.text().startswith("Could not reconnect: ")
            assert not customer.in_session
            assert customer.who.text().startswith("Session lost: ")
            await until(lambda: tab.over, "the rep's tab to say it is over")
            assert not tab.end_button.isEnabled()
