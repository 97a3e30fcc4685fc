"""Lines printed while transfer bars are drawn: each whole, above the bars, no stray escapes.

The screen is driven with a fake terminal (a stream that says it is a tty)
and what it wrote is played on a terminal emulator, as a person would see it.
"""

from __future__ import annotations

import io

import pyte

from peer._file_events import TransferView
from peer._file_progress import BarProgress, Progress, bar_line
from peer._screen import Screen

COLUMNS, ROWS = 100, 12


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class FakePipe(io.StringIO):
    def isatty(self) -> bool:
        return False


def moving(number: int, done: int, name: str = "big.bin") -> TransferView:
    return TransferView(number, name, "Bob", True, 300_000_000, done, "moving", 30e6, 5.0)


def screen_rows(written: str) -> list[str]:
    screen = pyte.Screen(COLUMNS, ROWS)
    pyte.Stream(screen).feed(written.replace("\n", "\r\n"))
    return [row.rstrip() for row in screen.display if row.strip()]


def terminal_screen() -> tuple[Screen, FakeTerminal]:
    out = FakeTerminal()
    return Screen(out, out, width=lambda: COLUMNS), out


def test_a_notice_printed_during_a_transfer_gets_a_line_of_its_own_above_the_bar() -> None:
    screen, out = terminal_screen()
    bars = BarProgress(screen.say, screen)
    bars.update(moving(1, 57_000_000))
    screen.say("! Bob left (connection lost); big.bin stopped at 19%")
    bars.update(moving(1, 58_000_000))
    assert screen_rows(out.getvalue()) == [
        "! Bob left (connection lost); big.bin stopped at 19%",
        bar_line(moving(1, 58_000_000)),
    ]
    assert "?[" not in out.getvalue()


def test_notices_between_several_bars_scroll_above_all_of_them() -> None:
    screen, out = terminal_screen()
    bars = BarProgress(screen.say, screen)
    bars.update(moving(1, 10_000_000))
    bars.update(moving(2, 20_000_000, "big2.bin"))
    screen.say("* Bob's connection dropped; waiting up to 5 s for Bob to come back")
    bars.update(moving(1, 30_000_000))
    screen.fail("helpline: Reconnecting… (the relay closed the connection)")
    assert screen_rows(out.getvalue()) == [
        "* Bob's connection dropped; waiting up to 5 s for Bob to come back",
        "helpline: Reconnecting… (the relay closed the connection)",
        bar_line(moving(1, 30_000_000)),
        bar_line(moving(2, 20_000_000, "big2.bin")),
    ]


def test_a_finished_transfer_takes_its_bar_away_and_leaves_the_lines() -> None:
    screen, out = terminal_screen()
    bars = BarProgress(screen.say, screen)
    bars.update(moving(1, 10_000_000))
    bars.finish(moving(1, 300_000_000))
    screen.say("[1] big.bin (300.0 MB) to Bob: complete, verified")
    assert screen_rows(out.getvalue()) == ["[1] big.bin (300.0 MB) to Bob: complete, verified"]


def test_a_bar_wider_than_the_terminal_is_cut_so_a_notice_still_replaces_it_whole() -> None:
    out = FakeTerminal()
    screen = Screen(out, out, width=lambda: 40)
    bars = BarProgress(screen.say, screen)
    bars.update(moving(1, 10_000_000, "a-file-with-a-very-long-name.bin"))
    screen.say("[rep] Alice: hello")
    rows = screen_rows(out.getvalue())
    assert rows[0] == "[rep] Alice: hello"
    assert len(rows) == 2
    assert rows[1].startswith("[1] ↑ a-file-with")


def test_a_prompt_that_owns_the_terminal_gets_the_bars_and_the_screen_writes_no_escapes() -> None:
    out = FakeTerminal()
    screen = Screen(out, out, width=lambda: COLUMNS)
    redraws: list[str] = []
    screen.hand_over(lambda: redraws.append(screen.bars()))
    bars = BarProgress(screen.say, screen)
    bars.update(moving(1, 10_000_000))
    screen.say("[rep] Alice: hello")
    assert out.getvalue() == "[rep] Alice: hello\n"
    assert redraws == [bar_line(moving(1, 10_000_000))]


def test_without_a_terminal_lines_come_plain_and_no_bar_is_drawn() -> None:
    out = FakePipe()
    screen = Screen(out, out)
    assert not screen.is_terminal
    progress = Progress(screen.say)
    progress.update(moving(1, 100_000_000))
    screen.say("[rep] Alice: hello")
    assert "\x1b" not in out.getvalue()
    assert out.getvalue().splitlines()[-1] == "[rep] Alice: hello"
