"""The rep's activity buttons: on only where policy, roles and the current activity allow,
and each one that is off says why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from codec import DEFAULT_POLICY, Feature, Role, parse_policy
from peer.gui._activities import Action, Situation, why_not
from tests.gui.console import open_console_window, start_session

if TYPE_CHECKING:
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    from codec import Policy

NO_CONTROL = parse_policy("[features]\ncontrol = false\nsystem_information = false\n", "site.toml")
CUSTOMER_HERE = Situation(Role.REP, "Bob", sharing=False, asking=False)


def refusals(policy: Policy) -> dict[Feature, str | None]:
    return {f: None if policy.allows(f) else policy.refusal(f) for f in Feature}


def test_with_a_customer_and_nothing_shared_every_ask_is_on_and_stop_is_off() -> None:
    on = {a for a in Action if why_not(a, refusals(DEFAULT_POLICY), CUSTOMER_HERE) is None}
    assert on == set(Action) - {Action.STOP}
    assert why_not(Action.STOP, refusals(DEFAULT_POLICY), CUSTOMER_HERE) == "nothing is shared now"


def test_before_a_customer_joins_the_buttons_say_so() -> None:
    alone = Situation(Role.REP, None, sharing=False, asking=False)
    assert why_not(Action.VIEW_DESKTOP, refusals(DEFAULT_POLICY), alone) == (
        "no customer has joined yet"
    )


def test_a_feature_the_policy_turns_off_is_refused_in_the_policys_words() -> None:
    why = why_not(Action.CONTROL_DESKTOP, refusals(NO_CONTROL), CUSTOMER_HERE)
    assert why == NO_CONTROL.refusal(Feature.CONTROL)
    assert why_not(Action.VIEW_DESKTOP, refusals(NO_CONTROL), CUSTOMER_HERE) is None


def test_while_something_is_shared_or_asked_only_stop_starts_anew() -> None:
    sharing = Situation(Role.REP, "Bob", sharing=True, asking=False)
    asking = Situation(Role.REP, "Bob", sharing=False, asking=True)
    assert why_not(Action.STOP, refusals(DEFAULT_POLICY), sharing) is None
    assert why_not(Action.VIEW_APP, refusals(DEFAULT_POLICY), sharing) == (
        "something is shared already: press Stop first"
    )
    assert why_not(Action.VIEW_APP, refusals(DEFAULT_POLICY), asking) == (
        "the customer has not answered the last request yet"
    )


def test_an_assistant_neither_moves_files_nor_asks_the_customer_for_anything() -> None:
    # The customer's side refuses an assistant's requests; the buttons say so first.
    assistant = Situation(Role.ASSISTANT, "Bob", sharing=False, asking=False)
    assert why_not(Action.FILES, refusals(DEFAULT_POLICY), assistant) is not None
    assert why_not(Action.SYSINFO, refusals(DEFAULT_POLICY), assistant) is not None
    for action in (Action.VIEW_DESKTOP, Action.CONTROL_APP, Action.SHOW_DESKTOP):
        assert why_not(action, refusals(DEFAULT_POLICY), assistant) == (
            "only the controlling rep asks to see or share a screen; an assistant watches"
        )


async def test_a_button_the_policy_turns_off_is_disabled_and_its_tooltip_says_why(
    qapp: QApplication, relay_process: str, tmp_path: Path
) -> None:
    async with open_console_window(qapp, relay_process, tmp_path, NO_CONTROL) as (window, console):
        await start_session(window, console)
        bar = console.faces[0].tab.activities
        button = bar.buttons[Action.CONTROL_DESKTOP]
        assert not button.isEnabled()
        assert button.toolTip() == f"Not now: {NO_CONTROL.refusal(Feature.CONTROL)}."
        sysinfo = bar.buttons[Action.SYSINFO]
        assert not sysinfo.isEnabled()
        assert "system information" in sysinfo.toolTip()
