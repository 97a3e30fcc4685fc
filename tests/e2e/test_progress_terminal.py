"""On a real terminal, a notice printed while transfer bars move stays whole, above them.

The CLI's own layers (the prompt, the bars, the line printer) run on a pty
and the test reads the screen a person would see, through a terminal
emulator: each notice on a row of its own, no escape sequence shown as
text (``?[2K``), the bars below the notices and the prompt.
"""

from __future__ import annotations

import re

from tests.e2e.terminal import ENTER, Terminal, open_terminal

STAND_IN = "tests.e2e.progress_stand_in"
LEFT = "! Bob left (connection lost); big1.bin stopped at 19%"
DROPPED = "* Bob's connection dropped; waiting up to 5 s for Bob to come back"


async def enter(term: Terminal, line: str) -> None:
    await term.type(line)
    await term.press(ENTER)


def row_of(rows: list[str], pattern: str) -> int:
    matches = [i for i, row in enumerate(rows) if re.search(pattern, row)]
    assert len(matches) == 1, f"/{pattern}/ should be on one row:\n  " + "\n  ".join(rows)
    return matches[0]


async def test_a_notice_during_two_transfers_is_a_clean_row_above_both_bars() -> None:
    async with open_terminal(env={}, module=STAND_IN) as term:
        await term.wait_for_prompt()
        await enter(term, "bar 1 19")
        await enter(term, "bar 2 5")
        await term.wait_for(r"big2\.bin")
        await enter(term, f"say {LEFT}")
        await enter(term, f"say {DROPPED}")
        await enter(term, "bar 1 20")
        # The prompt prints lines above itself in its own time, and the bars
        # are redrawn after: read one screen that shows all four at once.
        screen = await term.wait_for_all(
            f"^{re.escape(LEFT)}$",
            f"^{re.escape(DROPPED)}$",
            r"big1\.bin.*60\.0( MB)?/300\.0 MB",
            r"big2\.bin.*15\.0",
        )
        rows = [row for row in screen if row]
        assert not [row for row in rows if "?[" in row or "\x1b" in row]
        notice, dropped = rows.index(LEFT), rows.index(DROPPED)
        first, second = row_of(rows, r"big1\.bin.*60\.0"), row_of(rows, r"big2\.bin.*15\.0")
        assert notice < dropped < min(first, second)
        assert not [row for row in rows if re.search(r"big1\.bin.*57\.0", row)]
        await enter(term, "/quit")
        assert await term.wait_exit() == 0
