"""The rep's history file: schema versions, transactions, what a record holds."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest

from peer._history import MIGRATIONS, HistoryError, HistoryStore
from peer._history_view import render_list, render_record

if TYPE_CHECKING:
    from pathlib import Path

    from peer._history import Recorder


def begin(store: HistoryStore, number: str = "4821-9376", now: float = 1_000.0) -> Recorder:
    return store.begin(
        number=number,
        session_type="billing",
        tracking="CASE-1",
        rep="Alice",
        relay="ws://127.0.0.1:1",
        now=now,
    )


def test_a_new_file_gets_the_current_schema_in_wal_mode(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    assert store.schema_version == len(MIGRATIONS)
    assert store.query("PRAGMA journal_mode") == [("wal",)]


def test_an_older_file_is_migrated_step_by_step_and_keeps_its_records(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    old = HistoryStore(path, migrations=MIGRATIONS[:1])
    recorder = begin(old)
    recorder.note("kept")
    old.write(
        lambda db: db.execute(
            "INSERT INTO consent (session_id, at, customer, activity, granted)"
            " VALUES (?, 1, 'Bob', 'view', 0)",
            (recorder.session_id,),
        )
    )
    old.close()
    step = "CREATE TABLE recordings (id INTEGER PRIMARY KEY, session_id INTEGER, file TEXT)"
    store = HistoryStore(path, migrations=(*MIGRATIONS, step))
    assert store.schema_version == len(MIGRATIONS) + 1
    assert store.query("SELECT count(*) FROM recordings") == [(0,)]
    record = store.find("4821-9376")[0]
    assert [n.text for n in record.notes] == ["kept"]
    # Schema 1 told only whether a consent was granted; the record says no more.
    assert [(c.customer, c.granted, c.how) for c in record.consent] == [("Bob", False, None)]
    assert "Bob refused or revoked: view" in "\n".join(render_record(record))
    assert record.control == ()


def test_schema_2_records_how_consent_ended_and_each_transfer_of_control(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    r = begin(store)
    r.consent(customer="Bob", activity="file access", granted=False, how="refused")
    r.control(former="Alice", controller="Dave")
    r.control(former="Dave", controller="Alice")
    text = "\n".join(render_record(store.find("4821-9376")[0]))
    assert "Bob refused: file access" in text  # each way a consent ends: the test below
    assert "Alice handed control to Dave" in text
    assert "Dave handed control to Alice" in text


def test_each_consent_is_shown_in_the_words_the_rep_read_during_the_session(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    r = begin(store)
    r.consent(customer="Bob", activity="view-desktop", granted=True, how="allowed")
    r.consent(customer="Bob", activity="view-desktop", granted=False, how="revoked")
    r.consent(customer="Bob", activity="control-desktop", granted=False, how="declined")
    r.consent(customer="Bob", activity="view-app", granted=False, how="refused by policy")
    r.consent(customer="Bob", activity="show-rep-desktop", granted=False, how="did not answer")
    r.consent(customer="Bob", activity="file access", granted=True, how="allowed")
    r.consent(customer="Bob", activity="file access", granted=False, how="revoked")
    lines = render_record(store.find("4821-9376")[0])
    start = lines.index("Consent:") + 1
    assert [line.split(" ", 3)[-1] for line in lines[start : start + 7]] == [
        "Bob allowed: view their desktop",
        "Bob stopped: view their desktop",
        "Bob declined: control their desktop (mouse, keyboard, clipboard)",
        "Bob's computer's policy refused: view one application",
        "Bob did not answer: show them your desktop",
        "Bob allowed: file access",
        "Bob withdrew: file access",
    ]


def test_a_file_from_a_newer_helpline_is_refused_with_advice(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    HistoryStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(HistoryError, match=r"written by a newer Helpline.*upgrade Helpline"):
        HistoryStore(path)


def test_a_failed_write_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    recorder = begin(store)

    def half(db: sqlite3.Connection) -> None:
        db.execute(
            "INSERT INTO notes (session_id, at, text) VALUES (?, 1, 'half')", (recorder.session_id,)
        )
        db.execute("INSERT INTO nowhere VALUES (1)")

    with pytest.raises(HistoryError, match="cannot write the history file"):
        store.write(half)
    assert recorder.notes() == []


def test_the_list_is_newest_first_with_date_number_type_tracking_and_customers(
    tmp_path: Path,
) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    first = begin(store, "1111", now=1_000.0)
    first.joined("Bob", "customer")
    first.end("ended by Alice")
    second = begin(store, "2222", now=2_000.0)
    second.joined("Carol", "customer")
    second.joined("Dave", "customer")
    lines = render_list(store.sessions(), path="h")
    assert lines[0].split() == ["DATE", "NUMBER", "TYPE", "TRACKING", "CUSTOMERS"]
    assert lines[1].split()[2:] == [
        "2222",
        "billing",
        "CASE-1",
        "Carol,",
        "Dave",
        "(in",
        "progress)",
    ]
    assert lines[2].split()[2:] == ["1111", "billing", "CASE-1", "Bob"]


def test_a_record_holds_participants_chat_consent_transfers_and_notes(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    r = begin(store)
    r.joined("Bob", "customer")
    r.chat("Bob", "my printer is stuck")
    r.chat("Alice", "try this", ["Bob"])
    r.consent(customer="Bob", activity="system information", granted=True)
    r.consent(customer="Bob", activity="control", granted=False)
    r.transfer(direction="to Bob", name="fix.sh", size=120, digest="sha256:ab12", outcome="done")
    r.note("driver reinstalled")
    r.left("Bob", "left")
    r.replace_notes(["driver reinstalled", "follow up Monday"])
    r.end("ended by Alice")
    text = "\n".join(render_record(store.find("4821-9376-309-3617")[0]))
    assert "Session 4821-9376" in text
    assert "Type: billing" in text
    assert "Tracking code: CASE-1" in text
    assert "(ended by Alice)" in text
    assert "  Alice (rep) " in text
    assert "  Bob (customer) " in text
    assert "(left)" in text
    assert "Bob: my printer is stuck" in text
    assert "Alice to Bob (private): try this" in text
    assert "Bob allowed: system information" in text
    assert "Bob refused: control" in text
    assert "to Bob fix.sh, 120 bytes, sha256:ab12 (done)" in text
    assert text.endswith("Notes:\n  - driver reinstalled\n  - follow up Monday")


def test_an_open_record_whose_process_is_gone_is_not_ended_cleanly(tmp_path: Path) -> None:
    store = HistoryStore(tmp_path / "h.sqlite3")
    recorder = begin(store)
    assert not store.find("4821-9376")[0].unclean  # our own process is still running it
    store.write(
        lambda db: db.execute(
            "UPDATE sessions SET pid = ? WHERE id = ?", (2**22 + 12345, recorder.session_id)
        )
    )
    record = store.find("4821-9376")[0]
    assert record.unclean
    assert "not ended cleanly" in "\n".join(render_record(record))


def test_a_file_that_is_not_a_history_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database, it is a note someone saved here" * 100)
    with pytest.raises(HistoryError, match=rf"cannot use the history file {path}: "):
        HistoryStore(path)
