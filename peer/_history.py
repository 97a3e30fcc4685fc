"""The rep's session history (SPEC I4): one SQLite file under the user's data folder.

Every session a rep hosts gets a record: number, type, tracking code, start
and end, participants with roles and join/leave times, the chat the rep
saw, consent grants and revocations, transfers, notes. Each write is its
own transaction in WAL mode, so a rep process killed mid-session leaves a
readable record; one with no end whose process is gone reads as "not ended
cleanly".

Others record through a :class:`Recorder` (one per session)::

    recorder.consent(customer="Bob", activity="view", granted=True)
    recorder.transfer(direction="to-customer", name="log.txt", size=1234,
                      digest="sha256:...", outcome="done")

Schema changes go in :data:`MIGRATIONS`: append a step, never edit one; the
file's ``user_version`` says how many steps it has had.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from codec import ROOM_DIGITS, SessionCode
from peer._errors import PeerError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence

__all__ = [
    "MIGRATIONS",
    "HistoryError",
    "HistoryStore",
    "Recorder",
    "SessionRecord",
    "history_path",
]

ENV_HISTORY = "HELPLINE_HISTORY"

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        number TEXT NOT NULL,
        type TEXT NOT NULL,
        tracking TEXT,
        rep TEXT NOT NULL,
        relay TEXT NOT NULL,
        started_at REAL NOT NULL,
        ended_at REAL,
        ended_how TEXT,
        pid INTEGER NOT NULL,
        host TEXT NOT NULL
    );
    CREATE INDEX sessions_by_start ON sessions (started_at);
    CREATE TABLE participants (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        joined_at REAL NOT NULL,
        left_at REAL,
        left_how TEXT
    );
    CREATE TABLE chat (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        at REAL NOT NULL,
        sender TEXT NOT NULL,
        recipients TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE TABLE consent (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        at REAL NOT NULL,
        customer TEXT NOT NULL,
        activity TEXT NOT NULL,
        granted INTEGER NOT NULL
    );
    CREATE TABLE transfers (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        at REAL NOT NULL,
        direction TEXT NOT NULL,
        name TEXT NOT NULL,
        size INTEGER NOT NULL,
        digest TEXT NOT NULL,
        outcome TEXT NOT NULL
    );
    CREATE TABLE notes (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        at REAL NOT NULL,
        text TEXT NOT NULL
    );
    """,
    # 2: how a consent ended (allowed, refused, revoked; NULL in older records, which
    # told only granted or not), and transfers of control (SPEC M5).
    """
    ALTER TABLE consent ADD COLUMN how TEXT;
    CREATE TABLE control (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id),
        at REAL NOT NULL,
        former TEXT NOT NULL,
        controller TEXT NOT NULL
    );
    """,
)


class HistoryError(PeerError):
    """The history file cannot be used; its path is in the message."""


def history_path() -> Path:
    if override := os.environ.get(ENV_HISTORY):
        return Path(override)
    return Path(platformdirs.user_data_dir("helpline")) / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class Participant:
    name: str
    role: str
    joined_at: float
    left_at: float | None
    left_how: str | None


@dataclass(frozen=True, slots=True)
class ChatLine:
    at: float
    sender: str
    recipients: tuple[str, ...]  # empty: everyone
    text: str


@dataclass(frozen=True, slots=True)
class ConsentEntry:
    at: float
    customer: str
    activity: str
    granted: bool
    #: "allowed", "revoked", or why it came to nothing: "declined", "did not answer",
    #: "refused by policy", "could not share", "not asked", "could not start" ("refused"
    #: in older records and for file access and system information); None before schema 2.
    how: str | None = None


@dataclass(frozen=True, slots=True)
class ControlEntry:
    """*former* handed control of the session to *controller* (SPEC M5)."""

    at: float
    former: str
    controller: str


@dataclass(frozen=True, slots=True)
class TransferEntry:
    at: float
    direction: str
    name: str
    size: int
    digest: str
    outcome: str


@dataclass(frozen=True, slots=True)
class Note:
    at: float
    text: str


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: int
    number: str
    type: str
    tracking: str | None
    rep: str
    relay: str
    started_at: float
    ended_at: float | None
    #: How it ended ("ended by Alice", "connection lost: ..."); None while open.
    ended_how: str | None
    #: Neither ended nor still running: the rep's program was killed or crashed.
    unclean: bool
    participants: tuple[Participant, ...] = ()
    chat: tuple[ChatLine, ...] = ()
    consent: tuple[ConsentEntry, ...] = ()
    transfers: tuple[TransferEntry, ...] = ()
    notes: tuple[Note, ...] = ()
    control: tuple[ControlEntry, ...] = ()

    @property
    def customers(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.participants if p.role == "customer")


class HistoryStore:
    """One connection to the history file; opening it brings the schema up to date."""

    def __init__(self, path: Path, *, migrations: Sequence[str] = MIGRATIONS) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, isolation_level=None, timeout=5.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL keeps every committed transaction through a killed
            # process; only a power cut may lose the last few.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate(migrations)
        except sqlite3.Error as e:
            raise HistoryError(f"cannot use the history file {path}: {e}") from None

    def close(self) -> None:
        self._db.close()

    def _migrate(self, migrations: Sequence[str]) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > len(migrations):
            raise HistoryError(
                f"the history file {self.path} was written by a newer Helpline "
                f"(schema {version}, this one knows {len(migrations)}); upgrade Helpline"
            )
        for number in range(version, len(migrations)):
            with self._transaction() as db:
                for statement in _statements(migrations[number]):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def write(self, action: Callable[[sqlite3.Connection], object]) -> None:
        """Run *action* in one transaction; a failure leaves the file as it was."""
        try:
            with self._transaction() as db:
                action(db)
        except sqlite3.Error as e:
            raise HistoryError(f"cannot write the history file {self.path}: {e}") from None

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[Any]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise HistoryError(f"cannot read the history file {self.path}: {e}") from None

    # Starting and reading ------------------------------------------------------

    def begin(
        self,
        *,
        number: str,
        session_type: str,
        tracking: str | None,
        rep: str,
        relay: str,
        now: float | None = None,
    ) -> Recorder:
        """A new session record, with the rep as its first participant."""
        at = time.time() if now is None else now
        ids: list[int] = []

        def insert(db: sqlite3.Connection) -> None:
            cursor = db.execute(
                "INSERT INTO sessions (number, type, tracking, rep, relay, started_at, pid, host)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (number, session_type, tracking, rep, relay, at, os.getpid(), socket.gethostname()),
            )
            assert cursor.lastrowid is not None
            ids.append(cursor.lastrowid)
            db.execute(
                "INSERT INTO participants (session_id, name, role, joined_at) VALUES (?, ?, ?, ?)",
                (cursor.lastrowid, rep, "rep", at),
            )

        self.write(insert)
        return Recorder(self, ids[0])

    def sessions(self, limit: int = 50) -> list[SessionRecord]:
        """The newest sessions first, with their participants."""
        rows = self._db.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions ORDER BY started_at DESC, id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [self._record(row, whole=False) for row in rows]

    def find(self, number: str) -> list[SessionRecord]:
        """Every session numbered *number* (or with local id ``#N``), newest first, whole."""
        value: int | str
        if number.startswith("#") and number[1:].isdigit():
            where, value = "id = ?", int(number[1:])
        else:
            where, value = "number = ?", _session_number(number)
        rows = self._db.execute(
            f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE {where}"
            " ORDER BY started_at DESC, id DESC",
            (value,),
        ).fetchall()
        return [self._record(row, whole=True) for row in rows]

    def _record(self, row: Any, *, whole: bool) -> SessionRecord:
        sid, number, kind, tracking, rep, relay, started, ended, how, pid, host = row
        q = self._db.execute
        participants = tuple(
            Participant(*r)
            for r in q(
                "SELECT name, role, joined_at, left_at, left_how FROM participants"
                " WHERE session_id = ? ORDER BY joined_at, id",
                (sid,),
            )
        )
        record = SessionRecord(
            id=sid,
            number=number,
            type=kind,
            tracking=tracking,
            rep=rep,
            relay=relay,
            started_at=started,
            ended_at=ended,
            ended_how=how,
            unclean=ended is None and not _still_running(pid, host),
            participants=participants,
        )
        if not whole:
            return record
        return _with_details(record, q)


def _with_details(
    record: SessionRecord, q: Callable[[str, tuple[object, ...]], sqlite3.Cursor]
) -> SessionRecord:
    sid = (record.id,)
    chat = tuple(
        ChatLine(at, sender, tuple(filter(None, recipients.split("\n"))), text)
        for at, sender, recipients, text in q(
            "SELECT at, sender, recipients, text FROM chat WHERE session_id = ? ORDER BY id", sid
        )
    )
    consent = tuple(
        ConsentEntry(at, customer, activity, bool(granted), how)
        for at, customer, activity, granted, how in q(
            "SELECT at, customer, activity, granted, how FROM consent"
            " WHERE session_id = ? ORDER BY id",
            sid,
        )
    )
    control = tuple(
        ControlEntry(*r)
        for r in q(
            "SELECT at, former, controller FROM control WHERE session_id = ? ORDER BY id", sid
        )
    )
    transfers = tuple(
        TransferEntry(*r)
        for r in q(
            "SELECT at, direction, name, size, digest, outcome FROM transfers"
            " WHERE session_id = ? ORDER BY id",
            sid,
        )
    )
    notes = tuple(
        Note(*r) for r in q("SELECT at, text FROM notes WHERE session_id = ? ORDER BY id", sid)
    )
    return dataclasses.replace(
        record, chat=chat, consent=consent, transfers=transfers, notes=notes, control=control
    )


_SESSION_COLUMNS = (
    "id, number, type, tracking, rep, relay, started_at, ended_at, ended_how, pid, host"
)


def _session_number(typed: str) -> str:
    """The stored number *typed* names: the whole code or just its number both find it."""
    digits = "".join(c for c in typed if c.isascii() and c.isdigit())
    if len(digits) >= ROOM_DIGITS:
        return SessionCode(digits[:ROOM_DIGITS], 0, "").number
    return typed.split("-")[0].strip()  # a record from before numbers had eight digits


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]


def _still_running(pid: int, host: str) -> bool:
    """Whether the process that wrote an open record may still be running it."""
    if host != socket.gethostname():
        return True  # another machine's file: we cannot tell, so do not accuse it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Recorder:
    """Writes one session's record; every call is one committed transaction."""

    def __init__(self, store: HistoryStore, session_id: int) -> None:
        self.store = store
        self.session_id = session_id

    def _insert(self, table: str, columns: str, *values: object) -> None:
        marks = ", ".join("?" * (len(values) + 2))
        self.store.write(
            lambda db: db.execute(
                f"INSERT INTO {table} (session_id, at, {columns}) VALUES ({marks})",
                (self.session_id, time.time(), *values),
            )
        )

    def joined(self, name: str, role: str) -> None:
        self.store.write(
            lambda db: db.execute(
                "INSERT INTO participants (session_id, name, role, joined_at) VALUES (?, ?, ?, ?)",
                (self.session_id, name, role, time.time()),
            )
        )

    def left(self, name: str, how: str) -> None:
        self.store.write(
            lambda db: db.execute(
                "UPDATE participants SET left_at = ?, left_how = ? WHERE id = ("
                " SELECT max(id) FROM participants"
                " WHERE session_id = ? AND name = ? AND left_at IS NULL)",
                (time.time(), how, self.session_id, name),
            )
        )

    def chat(self, sender: str, text: str, recipients: Sequence[str] = ()) -> None:
        self._insert("chat", "sender, recipients, text", sender, "\n".join(recipients), text)

    def consent(
        self, *, customer: str, activity: str, granted: bool, how: str | None = None
    ) -> None:
        """A customer allowed (``granted``) or refused/revoked *activity* (``"view"``...).

        *how* says which: ``"allowed"``, ``"revoked"``, ``"refused"`` or a screen
        request's cause (:data:`peer._share_events.DENIED_HOW`).
        """
        how = how or ("allowed" if granted else "refused")
        self._insert(
            "consent", "customer, activity, granted, how", customer, activity, int(granted), how
        )

    def control(self, *, former: str, controller: str) -> None:
        """*former* handed control of the session to *controller* (SPEC M5)."""
        self._insert("control", "former, controller", former, controller)

    def transfer(self, *, direction: str, name: str, size: int, digest: str, outcome: str) -> None:
        self._insert(
            "transfers",
            "direction, name, size, digest, outcome",
            direction,
            name,
            size,
            digest,
            outcome,
        )

    def note(self, text: str) -> None:
        self._insert("notes", "text", text)

    def replace_notes(self, lines: Sequence[str]) -> None:
        """The session's notes become *lines*, all at once."""
        now = time.time()

        def replace(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM notes WHERE session_id = ?", (self.session_id,))
            db.executemany(
                "INSERT INTO notes (session_id, at, text) VALUES (?, ?, ?)",
                [(self.session_id, now, line) for line in lines],
            )

        self.store.write(replace)

    def notes(self) -> list[str]:
        rows = self.store.query(
            "SELECT text FROM notes WHERE session_id = ? ORDER BY id", (self.session_id,)
        )
        return [str(text) for (text,) in rows]

    def end(self, how: str) -> None:
        """Close the record: everyone still in it leaves with the session."""
        now = time.time()

        def close(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE participants SET left_at = ?, left_how = 'session ended'"
                " WHERE session_id = ? AND left_at IS NULL",
                (now, self.session_id),
            )
            db.execute(
                "UPDATE sessions SET ended_at = ?, ended_how = ? WHERE id = ? AND ended_at IS NULL",
                (now, how, self.session_id),
            )

        self.store.write(close)
