"""A sender sizes its chunks to the rate its receiver acknowledges."""

from __future__ import annotations

from peer._file_pipeline import CHUNK_SECONDS, CHUNK_STEP, MIN_CHUNK_BYTES, chunk_size

MIB = 1024 * 1024
LARGEST = 3 * MIB


def test_before_the_first_acknowledgement_chunks_are_small() -> None:
    assert chunk_size(0.0, LARGEST) == MIN_CHUNK_BYTES


def test_on_a_slow_link_chunks_stay_small_so_chat_is_not_held_up() -> None:
    assert chunk_size(1_250_000, LARGEST) == MIN_CHUNK_BYTES  # 10 Mbit/s


def test_a_chunk_carries_about_a_twentieth_of_a_second_of_the_rate() -> None:
    rate = 20_000_000
    size = chunk_size(rate, LARGEST)
    assert size % CHUNK_STEP == 0
    assert rate * CHUNK_SECONDS - CHUNK_STEP < size <= rate * CHUNK_SECONDS


def test_on_a_fast_path_chunks_are_the_largest_allowed() -> None:
    assert chunk_size(400_000_000, LARGEST) == LARGEST


def test_a_chunk_never_exceeds_a_small_window() -> None:
    assert chunk_size(0.0, 100_000) == 100_000
    assert chunk_size(400_000_000, 100_000) == 100_000
