"""The rep's console around its sessions: one tab each up to the site's cap, the viewer
docked or detached, system information searchable, and a close that asks first."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

import pytest

from codec import parse_policy
from peer.gui._activities import Action
from tests.gui.console import open_console_window, pressed, start_session
from tests.gui.customer import allow, click, open_customer_window
from tests.gui.helpers import until

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from tests.gui.rep_side import RepSide

E = TypeVar("E")
TWO_AT_ONCE = parse_policy("[sessions]\nmax_sessions = 2\n", "site.toml")


pytestmark = pytest.mark.usefixtures("customer_display")


async def test_each_session_has_its_own_tab_up_to_the_sites_cap(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with open_console_window(qapp, relay_process, tmp_path, TWO_AT_ONCE) as (window, console):
        await start_session(window, console)
        assert window.new_action.isEnabled()
        window.new_action.trigger()
        await until(
            lambda: console.start_dialog is not None and console.start_dialog.isVisible(), "dialog"
        )
        assert console.start_dialog is not None
        click(console.start_dialog.start_button)
        await until(lambda: len(console.faces) == 2, "the second session")
        await until(lambda: len(window.sessions()) == 2, "two tabs")
        codes = [t.code_panel.code.text() for t in window.sessions()]
        assert codes[0] != codes[1]
        assert not window.new_action.isEnabled()
        assert window.new_action.toolTip() == "Not now: this site allows 2 session(s) at once."


async def test_closing_the_console_with_a_session_running_asks_and_cancel_keeps_it(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    from PySide6.QtWidgets import QMessageBox

    async with open_console_window(qapp, relay_process, tmp_path) as (window, console):
        await start_session(window, console)
        window.close()
        assert window.isVisible()
        assert window.confirm is not None
        assert window.confirm.isVisible()
        assert "1 session(s) still running" in window.confirm.text()
        click(window.confirm.button(QMessageBox.StandardButton.Cancel))
        assert window.isVisible()
        assert not console.faces[0].tab.over
        window.close()
        assert window.confirm is not None
        click(window.confirm.button(QMessageBox.StandardButton.Close))
        await until(lambda: console.faces[0].tab.over, "the session to end")
        await until(lambda: not window.isVisible(), "the console to close")


async def test_the_viewer_detaches_into_its_own_window_and_docks_back_when_closed(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    async with (
        open_console_window(qapp, relay_process, tmp_path) as (window, console),
    ):
        await start_session(window, console)
        tab = console.faces[0].tab
        async with open_customer_window(
            qapp, relay_process, tmp_path, code=tab.code_panel.code.text()
        ) as customer:
            click(customer.form.join_button)
            await allow(await pressed(tab, customer, Action.VIEW_DESKTOP))
            await until(lambda: tab.viewer.viewer is not None, "the viewer")
            viewer = tab.viewer.viewer
            assert viewer is not None
            assert not viewer.isWindow()
            click(tab.viewer.detach_button)
            assert viewer.isWindow()
            assert viewer.isVisible()
            viewer.close()  # closing the window docks it; only Stop ends the view
            assert not viewer.isWindow()
            assert tab.viewer.viewer is viewer
            click(tab.activities.buttons[Action.STOP])
            await until(lambda: tab.viewer.viewer is None, "Stop to end the view")
            await until(customer.share_bar.idle.isVisible, "the customer's bar to go idle")


async def test_allowed_system_information_opens_a_searchable_read_only_view(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with open_console_window(qapp, relay_process, tmp_path) as (window, console):
        await start_session(window, console)
        face = console.faces[0]
        tab = face.tab
        async with open_customer_window(
            qapp, relay_process, tmp_path, code=tab.code_panel.code.text()
        ) as customer:
            click(customer.form.join_button)
            await allow(await pressed(tab, customer, Action.SYSINFO))
            await until(lambda: face.reports != [], "the report's view")
            view = face.reports[0]
            assert view.text.isReadOnly()
            assert view.windowTitle() == "System information — Bob"
            everything = view.text.toPlainText()
            assert "  OS: " in everything
            view.search.setText("os:")
            found = view.text.toPlainText().split("\n")
            assert found[0] == "System:"
            assert all("os:" in line.casefold() for line in found[1:])
            assert len(found) < len(everything.split("\n"))


async def test_a_rep_assists_from_the_console_and_may_only_leave(
    qapp: QApplication, relay_process: str, xdisplay: str, tmp_path: Path
) -> None:
    from peer._events import MemberJoined, MemberLeft
    from tests.gui.rep_side import open_rep

    async with (
        open_rep(relay_process, xdisplay, tmp_path, name="Carol") as lead,
        open_console_window(qapp, relay_process, tmp_path) as (_window, console),
    ):
        await lead.session.assistant_code()
        dialog = console.start_dialog
        assert dialog is not None
        dialog.assist.setText(str(lead.session.code))
        click(dialog.start_button)
        await until(lambda: console.faces != [], "the assistant's tab")
        tab = console.faces[0].tab
        await until(lambda: len(tab.roster.rows()) == 2, "the roster")
        assert tab.roster.rows() == [("Carol", "rep"), ("Alice", "assistant, you")]
        assert tab.end_button.text() == "&Leave session"
        assert not tab.code_panel.isVisible()
        assert tab.activities.reason(Action.SYSINFO) == (
            "only the controlling rep can ask for system information"
        )
        assert "Transfer" not in " ".join(a.text() for a in tab.roster.menu_for("Carol").actions())
        joined = await next_event_of(lead, MemberJoined)
        assert joined.name == "Alice"
        click(tab.end_button)
        left = await next_event_of(lead, MemberLeft)
        assert left.name == "Alice"
        await until(lambda: tab.over, "the tab to say it is over")


async def next_event_of(rep: RepSide, kind: type[E]) -> E:
    import trio

    with trio.fail_after(15):
        async for event in rep.events:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"no {kind.__name__}")
