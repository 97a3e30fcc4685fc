"""Hostile names become safe relative paths inside the chosen folder."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codec import MAX_PART_BYTES, numbered_name, safe_relative_path, split_relative_path


@pytest.mark.parametrize(
    ("hostile", "safe"),
    [
        ("../../etc/passwd", "etc/passwd"),
        ("/etc/shadow", "etc/shadow"),
        ("..\\..\\Windows\\System32\\drivers", "Windows/System32/drivers"),
        ("C:\\Users\\bob\\evil.exe", "C_/Users/bob/evil.exe"),
        ("//server/share/x", "server/share/x"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("lpt1", "_lpt1"),
        ("notes/AUX.log", "notes/_AUX.log"),
        ("report\nSession ended by Alice.txt", "reportSession ended by Alice.txt"),
        ("\x1b[2J\x1b[31mred.txt", "red.txt"),
        ("\x1b]0;owned\x07title.txt", "title.txt"),
        ("evil\u202etxt.exe", "eviltxt.exe"),
        (".bashrc", "_bashrc"),
        ("a/./b/../c", "a/b/c"),
        ("trailing. . ", "trailing"),
        ('what?<is>"this"|*', "what__is__this___"),
        ("", "file"),
        ("../..", "file"),
        ("\x00\x01", "file"),
        ("notes 2024.txt", "notes 2024.txt"),
    ],
)
def test_hostile_names_become_safe_relative_paths(hostile: str, safe: str) -> None:
    assert safe_relative_path(hostile) == safe


def test_names_are_unicode_normalised() -> None:
    decomposed = "Cafe\u0301.txt"
    assert safe_relative_path(decomposed) == unicodedata.normalize("NFC", decomposed)


def test_long_names_are_capped_keeping_the_extension() -> None:
    part = safe_relative_path("é" * 300 + ".pdf")
    assert len(part.encode()) <= MAX_PART_BYTES
    assert part.endswith(".pdf")


def test_deep_paths_are_capped() -> None:
    assert len(split_relative_path("/".join(["d"] * 100) + "/f.txt")) == 32


def test_numbered_names_keep_the_extension() -> None:
    assert [numbered_name("report.txt", n) for n in (1, 2, 3)] == [
        "report.txt",
        "report (2).txt",
        "report (3).txt",
    ]
    assert numbered_name("README", 2) == "README (2)"
    assert numbered_name(".x", 2) == ".x (2)"


@settings(max_examples=500, deadline=None, database=None)
@given(
    name=st.text(max_size=300)
    | st.lists(st.sampled_from(["..", ".", "/", "\\", "CON", "a", "\x1b[", "C:"])).map("".join)
)
def test_any_name_reduces_to_plain_parts_inside_the_folder(name: str) -> None:
    parts = split_relative_path(name)
    assert parts
    for part in parts:
        assert part not in ("", ".", "..")
        assert not {"/", "\\", ":"} & set(part)
        assert not part.startswith(".")
        assert part.isprintable()
        assert len(part.encode()) <= MAX_PART_BYTES
    assert safe_relative_path("/".join(parts)) == "/".join(parts)
