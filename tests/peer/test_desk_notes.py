"""The rep's notes: /note, /notes and the one prompt before the session closes (SPEC I2, S5)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from peer._desk import END_PROMPT, RepDesk
from peer._history import HistoryStore
from peer._open import open_hosted_session

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from pathlib import Path


@asynccontextmanager
async def desk_for(relay_url: str, tmp_path: Path) -> AsyncIterator[tuple[RepDesk, list[str]]]:
    store = HistoryStore(tmp_path / "history.sqlite3")
    async with open_hosted_session(relay_url, "Alice") as session:
        recorder = store.begin(
            number=session.code.room,
            session_type="general",
            tracking=None,
            rep="Alice",
            relay=relay_url,
        )
        lines: list[str] = []
        yield RepDesk(session, recorder, lines.append), lines


def typed(line: str | None) -> Callable[[], Awaitable[str | None]]:
    async def read_line() -> str | None:
        return line

    return read_line


async def test_note_adds_and_notes_lists_them(relay_url: str, tmp_path: Path) -> None:
    async with desk_for(relay_url, tmp_path) as (desk, lines):
        assert await desk.command("/note", "printer jammed")
        assert await desk.command("/note", "  paper tray reseated ")
        assert await desk.command("/notes", "")
        assert lines[-3:] == ["Notes:", "  1. printer jammed", "  2. paper tray reseated"]
        assert desk.recorder is not None
        assert desk.recorder.notes() == ["printer jammed", "paper tray reseated"]


async def test_the_end_prompt_adds_a_typed_line(relay_url: str, tmp_path: Path) -> None:
    async with desk_for(relay_url, tmp_path) as (desk, lines):
        desk.add_note("first")
        await desk.before_end(typed("second\n"))
        assert END_PROMPT in lines
        assert lines[-1] == "Notes saved (2 notes)."
        assert desk.recorder is not None
        assert desk.recorder.notes() == ["first", "second"]


async def test_an_empty_line_keeps_the_notes_as_they_are(relay_url: str, tmp_path: Path) -> None:
    async with desk_for(relay_url, tmp_path) as (desk, lines):
        desk.add_note("first")
        await desk.before_end(typed("\n"))
        await desk.before_end(typed(None))  # end of input: nothing typed
        assert lines[-1] == END_PROMPT
        assert desk.notes == ["first"]


async def test_equals_replaces_every_note_and_alone_clears_them(
    relay_url: str, tmp_path: Path
) -> None:
    async with desk_for(relay_url, tmp_path) as (desk, _):
        desk.add_note("first")
        desk.add_note("second")
        await desk.before_end(typed("=solved: new driver"))
        assert desk.recorder is not None
        assert desk.recorder.notes() == ["solved: new driver"]
        await desk.before_end(typed("="))
        assert desk.recorder.notes() == []


async def test_a_note_with_control_characters_is_refused_and_the_notes_kept(
    relay_url: str, tmp_path: Path
) -> None:
    async with desk_for(relay_url, tmp_path) as (desk, lines):
        desk.add_note("first")
        await desk.before_end(typed("bad\x1b[2J"))
        assert lines[-1] == (
            "! the note is refused: U+001B ESCAPE is not allowed; the notes are kept as they were"
        )
        assert desk.notes == ["first"]
