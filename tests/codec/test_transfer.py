"""The transfer machine: offer, answer, chunks within the window, digest, resume, cancel."""

from __future__ import annotations

import hashlib

import pytest

from codec import (
    TRANSFER_TRANSITIONS,
    FileAccept,
    FileAck,
    FileCancel,
    FileChunk,
    FileComplete,
    FileDone,
    FileOffer,
    FileRefuse,
    FileStart,
    LocalProtocolError,
    ProtocolError,
    Transfer,
    TransferMessage,
    TransferState,
    decode_message,
    encode_message,
)

DATA = bytes(range(256)) * 1000  # 256 000 bytes
WINDOW = 64 * 1024
CHUNK = 16 * 1024


def wire(message: TransferMessage) -> TransferMessage:
    """What the other end decodes: every message crosses as bytes."""
    decoded = decode_message(encode_message(message))
    assert decoded == message
    assert isinstance(decoded, TransferMessage)
    return decoded


def pair(data: bytes = DATA) -> tuple[Transfer, Transfer]:
    sender, offer = Transfer.offer_file(7, "report.pdf", len(data))
    receiver = Transfer.offered(offer)
    return sender, receiver


def started(data: bytes = DATA, offset: int = 0, prefix: bytes = b"") -> tuple[Transfer, Transfer]:
    sender, receiver = pair(data)
    sender.receive(wire(receiver.accept(offset, prefix, WINDOW)))
    receiver.receive(wire(sender.start(offset)))
    return sender, receiver


def run(sender: Transfer, receiver: Transfer, data: bytes) -> tuple[bytes, int]:
    """Move everything; the bytes received and the most ever in flight."""
    received, most = bytearray(), 0
    while sender.position < sender.size:
        while sender.room:
            piece = data[sender.position : sender.position + min(CHUNK, sender.room)]
            chunk = receiver.receive(wire(sender.chunk(piece)))
            assert isinstance(chunk, FileChunk)
            received += chunk.data
            most = max(most, sender.in_flight)
        if receiver.ack_due:
            sender.receive(wire(receiver.ack()))
    receiver.receive(wire(sender.done(hashlib.sha256(data).digest())))
    return bytes(received), most


def test_a_file_moves_whole_and_both_ends_complete() -> None:
    sender, receiver = started()
    received, _ = run(sender, receiver, DATA)
    done = receiver.verify(hashlib.sha256(received).digest())
    assert isinstance(done, FileComplete)
    sender.receive(wire(done))
    assert received == DATA
    assert sender.state is receiver.state is TransferState.COMPLETE


def test_the_sender_never_has_more_than_the_window_in_flight() -> None:
    sender, receiver = started()
    _, most = run(sender, receiver, DATA)
    assert 0 < most <= WINDOW


def test_the_sender_may_not_send_beyond_the_window() -> None:
    sender, _ = started()
    sender.chunk(DATA[:WINDOW])
    assert sender.room == 0
    with pytest.raises(LocalProtocolError, match="room"):
        sender.chunk(DATA[WINDOW : WINDOW + 1])


def test_a_sender_that_overruns_the_window_is_refused() -> None:
    _, receiver = started()
    receiver.receive(FileChunk(7, 0, DATA[:WINDOW]))
    with pytest.raises(ProtocolError, match="overran the window"):
        receiver.receive(FileChunk(7, WINDOW, b"x"))


def test_an_acknowledgement_opens_the_window_again() -> None:
    sender, receiver = started()
    receiver.receive(wire(sender.chunk(DATA[:WINDOW])))
    sender.receive(wire(receiver.ack()))
    assert sender.room == WINDOW


def test_a_damaged_file_is_cancelled_not_completed() -> None:
    sender, receiver = started()
    run(sender, receiver, DATA)
    verdict = receiver.verify(hashlib.sha256(b"something else").digest())
    assert isinstance(verdict, FileCancel)
    assert "damaged" in verdict.reason
    assert receiver.state is TransferState.CANCELLED


def test_a_refused_offer_ends_before_any_chunk() -> None:
    sender, receiver = pair()
    sender.receive(wire(receiver.refuse("no thanks")))
    assert sender.state is TransferState.REFUSED
    assert sender.room == 0
    with pytest.raises(LocalProtocolError):
        sender.start(0)


def test_resume_starts_at_the_receivers_offset() -> None:
    prefix = hashlib.sha256(DATA[:100_000]).digest()
    sender, receiver = started(offset=100_000, prefix=prefix)
    received, _ = run(sender, receiver, DATA)
    assert received == DATA[100_000:]
    assert sender.start_offset == 100_000


def test_a_sender_may_restart_from_zero_when_the_prefix_differs() -> None:
    sender, receiver = pair()
    sender.receive(wire(receiver.accept(100_000, bytes(32), WINDOW)))
    assert receiver.receive(wire(sender.start(0))) is not None
    assert receiver.position == 0


def test_a_start_at_an_offset_nobody_agreed_on_is_refused() -> None:
    sender, receiver = pair()
    sender.receive(wire(receiver.accept(100_000, bytes(32), WINDOW)))
    with pytest.raises(ProtocolError, match="nobody agreed"):
        receiver.receive(FileStart(7, 5))


def test_chunks_out_of_order_are_refused() -> None:
    _, receiver = started()
    with pytest.raises(ProtocolError, match="expected 0"):
        receiver.receive(FileChunk(7, 10, b"abc"))


def test_more_data_than_offered_is_refused() -> None:
    sender, receiver = started(data=b"12345")
    with pytest.raises(ProtocolError, match="more data"):
        receiver.receive(FileChunk(7, 0, b"123456"))
    assert sender.size == 5


def test_done_before_the_last_byte_is_refused() -> None:
    _, receiver = started()
    with pytest.raises(ProtocolError, match="done after 0"):
        receiver.receive(FileDone(7, bytes(32)))


def test_an_ack_for_bytes_never_sent_is_refused() -> None:
    sender, _ = started()
    sender.chunk(DATA[:100])
    with pytest.raises(ProtocolError, match="never sent"):
        sender.receive(FileAck(7, 101))


@pytest.mark.parametrize(
    "message",
    [
        FileChunk(7, 0, b"x"),
        FileStart(7, 0),
        FileDone(7, bytes(32)),
        FileOffer(7, "again", 1),
    ],
)
def test_sender_messages_before_an_answer_are_refused(message: TransferMessage) -> None:
    _, receiver = pair()
    with pytest.raises(ProtocolError):
        receiver.receive(message)
    assert receiver.state is TransferState.AWAITING_ANSWER


def test_a_receiver_cannot_speak_for_the_sender() -> None:
    sender, _ = pair()
    with pytest.raises(ProtocolError):
        sender.receive(FileChunk(7, 0, b"x"))
    with pytest.raises(ProtocolError, match="wrong side"):
        sender.receive(FileCancel(7, "forged", by_sender=True))


def test_chunks_that_cross_a_cancel_are_dropped() -> None:
    sender, receiver = started()
    in_flight = sender.chunk(DATA[:100])
    sender.receive(wire(receiver.cancel("changed my mind")))
    assert sender.state is TransferState.CANCELLED
    assert sender.reason == "changed my mind"
    assert receiver.receive(in_flight) is None
    assert receiver.receive(FileCancel(7, "me too", by_sender=True)) is None


def test_a_message_for_another_transfer_is_refused() -> None:
    _, receiver = started()
    with pytest.raises(ProtocolError, match="transfer 8"):
        receiver.receive(FileChunk(8, 0, b"x"))


def test_an_accept_with_a_resume_beyond_the_file_is_refused() -> None:
    sender, _ = pair(b"abc")
    with pytest.raises(ProtocolError, match="beyond"):
        sender.receive(FileAccept(7, 4, bytes(32), WINDOW))


def test_an_empty_file_completes() -> None:
    sender, receiver = started(data=b"")
    assert sender.room == 0
    receiver.receive(wire(sender.done(hashlib.sha256(b"").digest())))
    sender.receive(wire(receiver.verify(hashlib.sha256(b"").digest())))
    assert sender.state is TransferState.COMPLETE


def test_every_state_is_in_the_table_and_end_states_accept_nothing() -> None:
    assert set(TRANSFER_TRANSITIONS) == set(TransferState)
    for state in (TransferState.COMPLETE, TransferState.REFUSED, TransferState.CANCELLED):
        assert TRANSFER_TRANSITIONS[state] == {}


def test_refuse_reason_travels() -> None:
    sender, receiver = pair()
    message = sender.receive(wire(receiver.refuse("stop application sharing first")))
    assert isinstance(message, FileRefuse)
    assert sender.reason == "stop application sharing first"
