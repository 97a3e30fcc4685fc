"""Two consoles in one session, the lead's and an assistant's (M4), and the roster's menu."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from peer._open import open_joined_session
from peer.gui._customer import join_target
from tests.gui.console import open_console_window, start_session
from tests.gui.customer import click
from tests.gui.helpers import until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from peer._session import MemberSession
    from peer.gui import Console
    from peer.gui._roster import RosterPanel
    from peer.gui._session_tab import SessionTab


def choose(roster: RosterPanel, name: str, label: str) -> None:
    """Pick *label* in *name*'s context menu, as a right-click and a click would."""
    actions = {a.text(): a for a in roster.menu_for(name).actions()}
    assert label in actions, f"{label!r} not in {sorted(actions)}"
    actions[label].trigger()


async def next_code(tab: SessionTab, used: str) -> str:
    """The code the rep's panel shows once *used* is used up."""
    await until(lambda: tab.code_panel.code.text() not in ("", used), "the next code")
    return tab.code_panel.code.text()


@asynccontextmanager
async def joined_as(
    relay: str, code: str, name: str, *, assist: bool = False
) -> AsyncIterator[MemberSession]:
    async with open_joined_session(
        join_target(code, relay), name, assist=assist, relay_timeout=10.0
    ) as session:
        yield session


@asynccontextmanager
async def lead_and_assistant(
    qapp: QApplication, relay: str, tmp: Path
) -> AsyncIterator[tuple[SessionTab, SessionTab]]:
    """Two consoles: the lead's session, and the other assisting in it (both called Alice)."""
    async with (
        open_console_window(qapp, relay, tmp) as (lead_window, lead),
        open_console_window(qapp, relay, tmp) as (_window, helper),
    ):
        await start_session(lead_window, lead)
        lead_tab = lead.faces[0].tab
        yield lead_tab, await assist(lead_tab, helper)


async def assist(lead_tab: SessionTab, helper: Console, people: int = 2) -> SessionTab:
    """The lead issues an assistant's code; the second console assists with it."""
    old = lead_tab.code_panel.code.text()
    click(lead_tab.code_panel.assistant)
    code = await next_code(lead_tab, old)
    dialog = helper.start_dialog
    assert dialog is not None
    dialog.assist.setText(code)
    click(dialog.start_button)
    await until(lambda: helper.faces != [], "the assistant's tab")
    tab = helper.faces[0].tab
    await until(lambda: len(tab.roster.rows()) == people, "the assistant's roster")
    return tab
