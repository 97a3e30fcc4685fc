"""``./dev demo``: its help reads as plain text, and its session stays out of the
person's own history."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from peer import demo

if TYPE_CHECKING:
    from pathlib import Path


def test_the_demos_help_is_plain_text(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        demo.main(["--help"])
    shown = capsys.readouterr().out
    assert "A relay, a rep (Alice) and a customer (Bob) on this machine" in shown
    assert "`" not in shown


def test_the_demo_leaves_nothing_in_the_persons_own_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    own = tmp_path / "own"
    monkeypatch.setenv("HELPLINE_HISTORY", str(own / "history.sqlite3"))
    monkeypatch.setenv("XDG_DATA_HOME", str(own / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(own / "config"))
    demo.main(["--pace", "0"])
    assert "all three exited 0" in capsys.readouterr().out
    assert not own.exists()
