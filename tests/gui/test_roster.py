"""The roster's context menu: the controlling rep removes someone, or hands control on.

Real relay, the console and the customer's window driven through their
widgets; other participants join through the session API.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peer.gui._activities import Action
from tests.gui.assisting import choose, joined_as, lead_and_assistant, next_code
from tests.gui.console import open_console_window, start_session
from tests.gui.customer import click, open_customer_window
from tests.gui.helpers import until

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from peer.gui._roster import RosterPanel


def menu_labels(roster: RosterPanel, name: str) -> list[str]:
    return [a.text() for a in roster.menu_for(name).actions()]


async def test_the_rep_removes_a_customer_who_is_told_and_leaves_every_roster(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with open_console_window(qapp, relay_process, tmp_path) as (window, console):
        await start_session(window, console)
        tab = console.faces[0].tab
        first = tab.code_panel.code.text()
        async with open_customer_window(qapp, relay_process, tmp_path, code=first) as bob:
            click(bob.form.join_button)
            await until(lambda: bob.in_session, "Bob to join")
            async with joined_as(relay_process, await next_code(tab, first), "Carol") as carol:
                await until(lambda: len(tab.roster.rows()) == 3, "the roster of three")
                choose(tab.roster, "Bob", "Remove Bob from the session")
                await until(lambda: not bob.in_session, "Bob's window to end")
                assert bob.who.text() == "Alice removed you from the session"
                assert not bob.chat.entry.isEnabled()
                await until(lambda: len(tab.roster.rows()) == 2, "the rep's roster without Bob")
                rows = [("Alice", "rep, you"), ("★ Carol", "customer, primary")]
                assert tab.roster.rows() == rows
                assert "Alice removed Bob from the session" in tab.chat.lines()
                await until(
                    lambda: [m.name for m in carol.roster()] == ["Alice", "Carol"],
                    "Carol's roster without Bob",
                )


async def test_an_assistant_is_not_offered_remove_or_transfer(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with lead_and_assistant(qapp, relay_process, tmp_path) as (lead_tab, helper_tab):
        await until(lambda: len(lead_tab.roster.rows()) == 2, "the lead's roster")
        assert menu_labels(helper_tab.roster, "Alice") == []
        assert "Remove Alice (2) from the session" in menu_labels(lead_tab.roster, "Alice (2)")


async def test_the_rep_hands_control_to_an_assistant_from_the_roster(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with lead_and_assistant(qapp, relay_process, tmp_path) as (lead_tab, helper_tab):
        assert helper_tab.end_button.text() == "&Leave session"
        choose(lead_tab.roster, "Alice (2)", "Transfer control to Alice (2)")
        await until(lambda: helper_tab.end_button.text() == "&End session", "the helper's End")
        await until(lambda: lead_tab.end_button.text() == "&Leave session", "the lead's Leave")
        assert lead_tab.activities.reason(Action.VIEW_DESKTOP) == (
            "only the controlling rep asks to see or share a screen; an assistant watches"
        )
        assert not lead_tab.activities.buttons[Action.VIEW_DESKTOP].isEnabled()
        assert menu_labels(lead_tab.roster, "Alice (2)") == []
        said = "Alice (2) is the controlling rep now; you are an assistant"
        assert any(line.startswith(said) for line in lead_tab.chat.lines())
        handed = "Alice handed control of the session to you"
        await until(
            lambda: any(line.startswith(handed) for line in helper_tab.chat.lines()),
            "the new rep to be told",
        )
        await until(lambda: helper_tab.code_panel.isVisible(), "the new rep's code panel")
        assert not lead_tab.code_panel.isVisible()
        taken_over = await next_code(helper_tab, "")
        click(helper_tab.code_panel.assistant)  # the new rep invites as the lead did
        await next_code(helper_tab, taken_over)
        rows = [("Alice", "assistant"), ("Alice (2)", "rep, you")]
        await until(lambda: helper_tab.roster.rows() == rows, "the new rep's roster")


def test_the_menu_offers_transfer_only_to_an_assistant_and_primary_only_to_a_customer(
    qapp: QApplication,
) -> None:
    from codec import Role
    from peer.gui._roster import Person, RosterChoice, RosterPanel

    roster = RosterPanel()
    roster.offers = set(RosterChoice)
    roster.set_people(
        [
            Person("Alice", Role.REP, me=True),
            Person("Bob", Role.CUSTOMER, primary=True),
            Person("Carol", Role.CUSTOMER),
            Person("Dave", Role.ASSISTANT),
        ]
    )
    assert menu_labels(roster, "Alice") == []
    assert menu_labels(roster, "Bob") == ["Remove Bob from the session"]
    assert menu_labels(roster, "Carol") == [
        "Make Carol the primary customer",
        "Remove Carol from the session",
    ]
    assert menu_labels(roster, "Dave") == [
        "Transfer control to Dave",
        "Remove Dave from the session",
    ]


def test_shift_f10_opens_the_menu_of_the_person_chosen_in_the_roster(qapp: QApplication) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from codec import Role
    from peer.gui._roster import Person, RosterChoice, RosterPanel

    roster = RosterPanel()
    roster.offers = set(RosterChoice)
    roster.set_people([Person("Alice", Role.REP, me=True), Person("Bob", Role.CUSTOMER)])
    roster.show()
    roster.activateWindow()
    assert QTest.qWaitForWindowActive(roster, 2000)
    roster.tree.setFocus()
    bob = roster.tree.topLevelItem(1)
    assert bob is not None
    roster.tree.setCurrentItem(bob)
    QTest.keyClick(roster.tree, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    assert roster.menu is not None
    assert roster.menu.isVisible()
    assert [a.text() for a in roster.menu.actions()] == [
        "Make Bob the primary customer",
        "Remove Bob from the session",
    ]
    roster.menu.close()
