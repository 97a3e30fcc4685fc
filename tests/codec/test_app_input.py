"""Control of one application stays in that application: keys, combinations, clicks (no X)."""

from __future__ import annotations

import pytest

from codec import (
    ApplicationInput,
    InputVerdict,
    KeyInput,
    PointerButton,
    PointerMotion,
    PointerWheel,
    Rect,
    desktop_shortcut,
)

INJECT, RELEASE, DROP = InputVerdict.INJECT, InputVerdict.RELEASE, InputVerdict.DROP
CTRL, ALT, SHIFT, SUPER = 0xFFE3, 0xFFE9, 0xFFE1, 0xFFEB
TAB, ESCAPE, F2, F4, RETURN = 0xFF09, 0xFF1B, 0xFFBF, 0xFFC1, 0xFF0D
#: The shared window at (100, 80), 400x300; a terminal covers its lower right quarter.
WINDOW = Rect(100, 80, 400, 300)
TERMINAL = Rect(300, 230, 400, 300)
ORIGIN = (100, 80)


def calculator() -> ApplicationInput:
    return ApplicationInput("Bob", "Calculator")


def press(rules: ApplicationInput, *keysyms: int, focused: bool = True) -> list[InputVerdict]:
    return [rules.key(KeyInput(k, True), focused=focused).verdict for k in keysyms]


def at(
    rules: ApplicationInput, event: PointerMotion | PointerButton | PointerWheel
) -> InputVerdict:
    return rules.pointer(event, origin=ORIGIN, window=WINDOW, covering=[TERMINAL]).verdict


def test_keys_go_in_while_the_shared_window_has_the_focus() -> None:
    rules = calculator()
    assert press(rules, ord("z"), RETURN) == [INJECT, INJECT]
    assert rules.key(KeyInput(0, True, "é"), focused=True).verdict is INJECT
    assert rules.key(KeyInput(ord("z"), False), focused=True).verdict is RELEASE


def test_keys_are_dropped_while_another_window_has_the_focus_and_the_rep_is_told_once() -> None:
    rules = calculator()
    first = rules.key(KeyInput(ord("z"), True), focused=False)
    second = rules.key(KeyInput(0, True, "x"), focused=False)
    assert (first.verdict, second.verdict) == (DROP, DROP)
    assert first.notice == "Bob's focus is on another window; keys are not sent"
    assert second.notice == ""
    press(rules, ord("a"))  # the focus came back: the next time is told again
    assert rules.key(KeyInput(ord("z"), True), focused=False).notice


def test_a_key_the_rep_holds_is_let_up_even_after_the_focus_moved() -> None:
    rules = calculator()
    press(rules, SHIFT)
    assert rules.key(KeyInput(SHIFT, False), focused=False).verdict is RELEASE
    assert rules.key(KeyInput(SHIFT, False), focused=False).verdict is DROP  # once


def test_a_release_of_a_key_never_pressed_here_is_dropped() -> None:
    rules = calculator()
    assert rules.key(KeyInput(CTRL, False), focused=True).verdict is DROP


@pytest.mark.parametrize(
    ("held", "key", "name"),
    [
        ((), SUPER, "the Super key"),
        ((), 0xFFE7, "the Super key"),  # Meta_L
        ((ALT,), TAB, "Alt+Tab"),
        ((ALT, SHIFT), TAB, "Alt+Tab"),
        ((ALT,), ESCAPE, "Alt+Esc"),
        ((ALT,), 0x20, "Alt+Space"),
        ((ALT,), F2, "Alt+F2"),
        ((CTRL, ALT), ord("t"), "Ctrl+Alt+T"),
        ((CTRL, ALT), 0xFFFF, "Ctrl+Alt+Del"),
        ((CTRL, ALT), 0xFF53, "Ctrl+Alt+Right"),  # the next workspace
        ((CTRL, ALT), 0xFFBE, "Ctrl+Alt+F1"),
        ((CTRL,), ESCAPE, "Ctrl+Esc"),
        ((), 0xFF61, "Print Screen"),
        ((), 0x1008FF2C, "a desktop key (launcher, power or console)"),  # XF86Eject
        # Keys the X server acts on itself: mouse keys, Terminate_Server, AccessX, locks.
        ((), 0xFEE9, "key 0xfee9 (the X server's mouse keys: it moves and clicks the pointer)"),
        ((), 0xFEF9, "key 0xfef9 (the X server's mouse keys: it moves and clicks the pointer)"),
        (
            (SHIFT,),
            0xFF7F,
            "Shift+Num Lock (the X server's mouse keys: it moves and clicks the pointer)",
        ),
        ((), 0xFED5, "Terminate_Server (it ends the whole X session)"),
        ((), 0xFE75, "key 0xfe75 (an accessibility switch: it changes the keyboard until undone)"),
        ((), 0xFE07, "key 0xfe07 (an X keyboard lock or server function)"),  # ISO_Group_Lock
        (
            (),
            0x1008FE20,
            "key 0x1008fe20 (an X server function: console, grab release, video mode)",
        ),
    ],
)
def test_keys_that_act_on_the_desktop_are_dropped(
    held: tuple[int, ...], key: int, name: str
) -> None:
    rules = calculator()
    assert press(rules, *held) == [INJECT] * len(held)
    decision = rules.key(KeyInput(key, True), focused=True)
    assert decision.verdict is DROP
    assert decision.notice == (f"{name} acts on Bob's desktop, not on “Calculator”; it is not sent")
    assert rules.key(KeyInput(key, False), focused=True).verdict is DROP  # never went down


def test_a_typed_tab_under_a_held_alt_is_alt_tab() -> None:
    rules = calculator()
    press(rules, ALT)
    assert rules.key(KeyInput(0, True, "\t"), focused=True).verdict is DROP


def test_the_applications_own_shortcuts_go_in() -> None:
    rules = calculator()
    assert press(rules, CTRL, ord("c")) == [INJECT, INJECT]  # copy
    rules.key(KeyInput(CTRL, False), focused=True)
    assert press(rules, ALT, ord("f")) == [INJECT, INJECT]  # the File menu
    assert press(rules, F4) == [INJECT]  # Alt+F4: closes the focused, shared window
    assert desktop_shortcut(F2, ctrl=False, alt=False) is None


def test_once_the_modifiers_are_up_the_key_goes_in_again() -> None:
    rules = calculator()
    press(rules, ALT)
    assert press(rules, TAB) == [DROP]
    rules.key(KeyInput(ALT, False), focused=True)
    assert press(rules, TAB) == [INJECT]


def test_a_click_inside_the_uncovered_window_goes_in_at_its_screen_point() -> None:
    rules = calculator()
    decision = rules.pointer(
        PointerButton(1, True, 50, 50), origin=ORIGIN, window=WINDOW, covering=[TERMINAL]
    )
    assert (decision.verdict, decision.point) == (INJECT, (150, 130))


def test_a_click_where_another_window_covers_the_shared_one_is_dropped_and_told_once() -> None:
    rules = calculator()
    first = rules.pointer(
        PointerButton(1, True, 300, 200), origin=ORIGIN, window=WINDOW, covering=[TERMINAL]
    )
    assert first.verdict is DROP
    assert first.notice == (
        "another window covers that part of “Calculator”; clicks there are not sent"
    )
    assert at(rules, PointerWheel(0, 3, 300, 200)) is DROP
    assert (
        rules.pointer(
            PointerWheel(0, 3, 300, 200), origin=ORIGIN, window=WINDOW, covering=[TERMINAL]
        ).notice
        == ""
    )
    assert at(rules, PointerButton(1, False, 300, 200)) is DROP  # never pressed here


def test_moves_over_a_covering_window_are_dropped_without_a_word() -> None:
    rules = calculator()
    decision = rules.pointer(
        PointerMotion(300, 200), origin=ORIGIN, window=WINDOW, covering=[TERMINAL]
    )
    assert (decision.verdict, decision.notice) == (DROP, "")
    assert at(rules, PointerMotion(50, 50)) is INJECT


def test_a_point_outside_the_window_where_it_is_now_is_dropped() -> None:
    rules = calculator()
    moved = Rect(400, 80, 400, 300)  # the window moved since the rep's picture
    decision = rules.pointer(
        PointerButton(1, True, 50, 50), origin=ORIGIN, window=moved, covering=[]
    )
    assert decision.verdict is DROP
    assert "outside “Calculator”" in decision.notice
    gone = rules.pointer(PointerWheel(0, 1, 50, 50), origin=ORIGIN, window=None, covering=[])
    assert gone.verdict is DROP


def test_a_held_button_is_let_up_where_the_pointer_is_even_over_a_covering_window() -> None:
    rules = calculator()
    assert at(rules, PointerButton(1, True, 50, 50)) is INJECT
    assert at(rules, PointerButton(1, False, 300, 200)) is RELEASE
    assert at(rules, PointerButton(1, True, 60, 60)) is INJECT
    assert at(rules, PointerButton(1, False, 60, 60)) is INJECT


def test_a_key_another_program_holds_for_the_desktop_is_dropped() -> None:
    rules = calculator()
    press(rules, CTRL)
    decision = rules.key(KeyInput(0xFFC9, True), focused=True, claimed=True)  # F12
    assert decision.verdict is DROP
    assert decision.notice == (
        "Ctrl+F12 is a shortcut of Bob's desktop, not of “Calculator”; it is not sent"
    )
    assert rules.key(KeyInput(0xFFC9, False), focused=True).verdict is DROP  # never went down


@pytest.mark.parametrize(("modifier", "name"), [(CTRL, "Ctrl"), (ALT, "Alt")])
def test_text_typed_while_ctrl_or_alt_is_held_is_dropped(modifier: int, name: str) -> None:
    rules = calculator()
    press(rules, modifier)
    decision = rules.key(KeyInput(ord("q"), True, "q"), focused=True)
    assert decision.verdict is DROP
    assert decision.notice == (
        f"text typed while {name} is held would go in as {name} shortcuts; it is not sent"
    )
    rules.key(KeyInput(modifier, False), focused=True)
    assert rules.key(KeyInput(ord("q"), True, "q"), focused=True).verdict is INJECT


def test_text_whose_key_another_program_holds_for_the_desktop_is_dropped() -> None:
    decision = calculator().key(KeyInput(0, True, "Q"), focused=True, claimed=True)
    assert decision.verdict is DROP
    assert decision.notice == (
        "Q is a shortcut of Bob's desktop, not of “Calculator”; it is not sent"
    )


@pytest.mark.parametrize(
    ("key", "name"),
    [
        (0xFF20, "key 0xff20"),  # Multi_key
        (0xFFB1, "key 0xffb1"),  # KP_1 and KP_End: mouse keys once those are on
        (0xFF9C, "key 0xff9c"),
        (0xFFD6, "F25"),  # a mouse key too
        (0x6C1, "key 0x6c1"),  # a legacy Cyrillic keysym: the viewer sends text
        (0xFE51, "key 0xfe51"),  # a dead key: the viewer sends what it composes
    ],
)
def test_keys_the_viewer_never_sends_to_an_application_are_dropped(key: int, name: str) -> None:
    decision = calculator().key(KeyInput(key, True), focused=True)
    assert decision.verdict is DROP
    assert decision.notice == (
        f"{name} is not a key of an application; it is not sent to “Calculator”"
    )


def test_altgr_keypad_enter_and_the_function_keys_go_in() -> None:
    assert press(calculator(), 0xFE03, ord("q"), 0xFF8D, 0xFFD5, 0xFE20, 0x01000416) == [INJECT] * 6


def test_a_click_or_wheel_while_the_rep_holds_alt_is_dropped_and_told_once() -> None:
    rules = calculator()
    press(rules, ALT)
    first = rules.pointer(
        PointerButton(1, True, 50, 50), origin=ORIGIN, window=WINDOW, covering=[TERMINAL]
    )
    assert first.verdict is DROP
    assert first.notice == (
        "Alt+click is the window manager's on Bob's desktop (it moves and resizes windows);"
        " it is not sent"
    )
    assert at(rules, PointerButton(1, False, 50, 50)) is DROP  # never went down
    assert at(rules, PointerWheel(0, 1, 50, 50)) is DROP
    assert at(rules, PointerMotion(50, 50)) is INJECT  # moving is no binding
    rules.key(KeyInput(ALT, False), focused=True)
    assert at(rules, PointerButton(1, True, 50, 50)) is INJECT


def test_a_click_a_desktop_mouse_binding_holds_is_dropped() -> None:
    rules = calculator()
    press(rules, CTRL)
    decision = rules.pointer(
        PointerButton(3, True, 50, 50), origin=ORIGIN, window=WINDOW, covering=[], claimed=True
    )
    assert decision.verdict is DROP
    assert decision.notice == (
        "Ctrl+right click is a mouse binding of Bob's desktop, not of “Calculator”; it is not sent"
    )
    assert at(rules, PointerButton(1, True, 50, 50)) is INJECT  # Ctrl+click: the app's own
