"""The end-to-end channel: what it delivers, and every way of meddling it rejects."""

from __future__ import annotations

import os
import struct

import nacl.bindings
import nacl.public
import pytest

from codec import (
    DEFAULT_LIMITS,
    Channel,
    ChannelKeys,
    LimitExceededError,
    Limits,
    LocalProtocolError,
    TamperedMessageError,
    member_channel_keys,
    padded_length,
)
from codec._payload import PayloadKind
from codec._xchacha import hchacha20
from tests.codec.test_handshake import admitted_channels

CUSTOMER, REP = 1, 0
SID = bytes(range(16))


def channel_pair(limits: Limits = DEFAULT_LIMITS) -> tuple[Channel, Channel]:
    """The customer's and the rep's end of one channel, from fresh keys."""
    c2r, r2c = os.urandom(32), os.urandom(32)
    customer = Channel(ChannelKeys(send=c2r, receive=r2c), CUSTOMER, REP, limits)
    rep = Channel(ChannelKeys(send=r2c, receive=c2r), REP, CUSTOMER, limits)
    return customer, rep


def rejected(channel: Channel, frame: bytes | bytearray) -> str:
    """Open *frame*, which must be refused as tampering; return the reason."""
    with pytest.raises(TamperedMessageError) as info:
        channel.open(frame)
    return info.value.reason


def test_messages_round_trip_both_ways_in_order() -> None:
    customer, rep = channel_pair()
    for i in range(5):
        assert rep.open(customer.seal(b"to rep %d" % i)) == b"to rep %d" % i
        assert customer.open(rep.seal(b"to customer %d" % i)) == b"to customer %d" % i


def test_the_channel_from_a_handshake_round_trips() -> None:
    joiner, host = admitted_channels()
    assert host.open(joiner.seal(b"\x00" * 1000)) == b"\x00" * 1000


def test_the_same_plaintext_seals_differently_each_time() -> None:
    customer, _ = channel_pair()
    assert customer.seal(b"same") != customer.seal(b"same")


@pytest.mark.parametrize("size", [0, 5, 300, 1023, 1024, 70_000, 1 << 20])
def test_frames_are_xchacha20_poly1305_as_pynacl_seals_them(size: int) -> None:
    # The channel seals with OpenSSL in place; its frames must be libsodium's own.
    key, plaintext = os.urandom(32), os.urandom(size)
    sender = Channel(ChannelKeys(send=key, receive=os.urandom(32)), CUSTOMER, REP)
    sender.seal(b"first")
    frame = sender.seal(plaintext)
    ad = struct.pack(">4sIIQ", b"hl01", CUSTOMER, REP, 1)
    padded = plaintext + b"\x80" + bytes(padded_length(size) - size - 1)
    nonce = (1).to_bytes(24, "big")
    expected = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, nonce, key)
    assert frame == bytes([PayloadKind.SEALED]) + (1).to_bytes(8, "big") + expected


@pytest.mark.parametrize("size", [0, 5, 1023, 70_000, 1 << 20])
@pytest.mark.parametrize("writable", [False, True])
def test_frames_pynacl_sealed_open_as_they_were(size: int, writable: bool) -> None:
    # A peer that seals with libsodium (as this one did) is understood, in place or not.
    key, plaintext = os.urandom(32), os.urandom(size)
    receiver = Channel(ChannelKeys(send=os.urandom(32), receive=key), REP, CUSTOMER)
    ad = struct.pack(">4sIIQ", b"hl01", CUSTOMER, REP, 0)
    padded = plaintext + b"\x80" + bytes(padded_length(size) - size - 1)
    sealed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(padded, ad, bytes(24), key)
    frame = bytes([PayloadKind.SEALED]) + bytes(8) + sealed
    assert bytes(receiver.open(bytearray(frame) if writable else frame)) == plaintext


def test_hchacha20_gives_the_subkey_of_the_xchacha_drafts_test_vector() -> None:
    # draft-irtf-cfrg-xchacha-03, section 2.2.1
    key = bytes(range(32))
    nonce = bytes.fromhex("000000090000004a0000000031415927")
    expected = "82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc"
    assert hchacha20(key, nonce).hex() == expected


def test_a_forged_frame_in_a_buffer_of_its_own_leaves_no_plaintext_behind() -> None:
    customer, rep = channel_pair()
    secret = b"the customer's password" * 50
    arrived = bytearray(customer.seal(secret))
    arrived[-1] ^= 0x01  # the tag: the body still decrypts to the secret, unauthenticated
    assert rejected(rep, arrived) == "forged"
    assert bytes(arrived[9:-16]) == bytes(len(arrived) - 25)


FRAME_OVERHEAD = 1 + 8 + 16  # kind, counter, tag


def test_a_frame_carries_a_small_header_and_tag() -> None:
    customer, _ = channel_pair()
    frame = customer.seal(b"x" * 2000)
    assert frame[0] == PayloadKind.SEALED
    assert len(frame) == FRAME_OVERHEAD + 2000 + 1  # large messages: one byte of padding


@pytest.mark.parametrize(("sizes", "bucket"), [((0, 1, 100, 255), 256), ((256, 500, 1023), 1024)])
def test_small_messages_are_padded_so_the_relay_sees_only_a_bucket_size(
    sizes: tuple[int, ...], bucket: int
) -> None:
    customer, rep = channel_pair()
    for size in sizes:
        frame = customer.seal(b"y" * size)
        assert len(frame) == FRAME_OVERHEAD + bucket, size
        assert rep.open(frame) == b"y" * size


def test_padding_never_hides_trailing_zero_bytes_of_the_message() -> None:
    customer, rep = channel_pair()
    for message in (b"\x00", b"ab\x00\x00", b"\x80\x00", bytes(1024), bytes(5000)):
        assert rep.open(customer.seal(message)) == message


def test_replayed_message_is_rejected_and_reported() -> None:
    customer, rep = channel_pair()
    first = customer.seal(b"first")
    assert rep.open(first) == b"first"
    assert rejected(rep, first) == "replayed"
    assert rep.open(customer.seal(b"second")) == b"second"
    assert rejected(rep, first) == "replayed"


def test_a_message_that_comes_early_is_held_back_until_the_missing_one_arrives() -> None:
    customer, rep = channel_pair()
    first, second = customer.seal(b"first"), customer.seal(b"second")
    assert rejected(rep, second) == "reordered"
    assert rep.open(first) == b"first"  # the channel did not skip it
    assert rep.open(second) == b"second"  # sent again, taken once


def test_frames_sent_again_after_a_gap_are_each_taken_exactly_once() -> None:
    customer, rep = channel_pair()
    frames = [customer.seal(b"%d" % i) for i in range(4)]
    assert rep.open(frames[0]) == b"0"
    assert rejected(rep, frames[2]) == "reordered"  # frame 1 dropped by the relay
    assert rejected(rep, frames[0]) == "replayed"  # the sender sends everything again
    assert [rep.open(frame) for frame in frames[1:]] == [b"1", b"2", b"3"]


def test_a_forged_frame_from_the_future_does_not_move_the_channel() -> None:
    customer, rep = channel_pair()
    first = customer.seal(b"first")
    future = bytearray(customer.seal(b"second"))
    future[1] ^= 0x80  # counter 1 -> 2**63 + 1, which nobody sealed
    assert rejected(rep, bytes(future)) == "forged"
    assert rep.open(first) == b"first"


def test_a_message_cut_short_is_rejected_at_every_length() -> None:
    customer, rep = channel_pair()
    frame = customer.seal(b"a message long enough to cut")
    for length in range(len(frame)):
        assert rejected(rep, frame[:length]) in {"truncated", "forged"}, length
    assert rep.open(frame) == b"a message long enough to cut"


def test_an_empty_payload_is_reported_as_truncated() -> None:
    _, rep = channel_pair()
    assert rejected(rep, b"") == "truncated"


def test_a_bit_flip_anywhere_is_rejected_and_the_channel_survives() -> None:
    customer, rep = channel_pair()
    frame = customer.seal(b"transfer $100")
    reasons = set()
    for position in range(len(frame)):
        for bit in range(8):
            flipped = bytearray(frame)
            flipped[position] ^= 1 << bit
            reasons.add(rejected(rep, bytes(flipped)))
    # the kind byte fails as tampering; the counter is in the nonce, so a
    # changed counter fails authentication like any changed ciphertext byte
    assert reasons == {"tampered", "forged"}
    assert rep.open(frame) == b"transfer $100"


def test_a_flipped_counter_that_still_matches_is_forged() -> None:
    """A counter changed to the expected number still fails: it is in the nonce and AD."""
    customer, rep = channel_pair()
    customer.seal(b"dropped")
    second = bytearray(customer.seal(b"second"))
    second[8] ^= 1  # counter 1 -> 0, which is what the receiver expects
    assert rejected(rep, bytes(second)) == "forged"


@pytest.mark.parametrize("bad_kind", [0, PayloadKind.PAKE, PayloadKind.CONFIRM, 0x63, 0xFF])
def test_a_frame_with_another_kind_byte_is_tampering(bad_kind: int) -> None:
    customer, rep = channel_pair()
    frame = customer.seal(b"x")
    assert rejected(rep, bytes([bad_kind]) + frame[1:]) == "tampered"


def test_a_frame_for_another_receiver_is_rejected() -> None:
    """The AD binds sender and receiver: the right keys with other ids do not open it."""
    c2r, r2c = os.urandom(32), os.urandom(32)
    customer = Channel(ChannelKeys(send=c2r, receive=r2c), CUSTOMER, REP)
    frame = customer.seal(b"for the rep only")
    at_rep = ChannelKeys(send=r2c, receive=c2r)
    assert rejected(Channel(at_rep, local_id=CUSTOMER, remote_id=REP), frame) == "forged"
    assert rejected(Channel(at_rep, local_id=7, remote_id=CUSTOMER), frame) == "forged"
    assert rejected(Channel(at_rep, local_id=REP, remote_id=7), frame) == "forged"
    assert Channel(at_rep, local_id=REP, remote_id=CUSTOMER).open(frame) == b"for the rep only"


def test_a_frame_bounced_back_to_its_sender_is_rejected() -> None:
    customer, _ = channel_pair()
    assert rejected(customer, customer.seal(b"echo")) == "forged"


def test_member_channel_keys_from_two_keypairs_give_matching_channels() -> None:
    alice, bob = nacl.public.PrivateKey.generate(), nacl.public.PrivateKey.generate()
    alice_keys = member_channel_keys(alice, bytes(bob.public_key), 3, 4, SID)
    bob_keys = member_channel_keys(bob, bytes(alice.public_key), 4, 3, SID)
    assert alice_keys.send == bob_keys.receive
    assert alice_keys.receive == bob_keys.send
    assert alice_keys.send != alice_keys.receive
    at_alice, at_bob = Channel(alice_keys, 3, 4), Channel(bob_keys, 4, 3)
    assert at_bob.open(at_alice.seal(b"hi bob")) == b"hi bob"
    assert at_alice.open(at_bob.seal(b"hi alice")) == b"hi alice"


def test_a_third_member_cannot_read_a_member_channel() -> None:
    alice, bob, eve = (nacl.public.PrivateKey.generate() for _ in range(3))
    at_alice = Channel(member_channel_keys(alice, bytes(bob.public_key), 3, 4, SID), 3, 4)
    at_eve = Channel(member_channel_keys(eve, bytes(alice.public_key), 4, 3, SID), 4, 3)
    assert rejected(at_eve, at_alice.seal(b"secret")) == "forged"


def test_oversize_plaintext_is_a_local_error_on_seal() -> None:
    customer, rep = channel_pair(Limits(max_message_bytes=100))
    with pytest.raises(LocalProtocolError):
        customer.seal(b"x" * 101)
    assert rep.open(customer.seal(b"x" * 100)) == b"x" * 100


def test_oversize_incoming_frame_is_refused_before_decryption() -> None:
    big_sender, _ = channel_pair(Limits(max_message_bytes=5000))
    _, small_receiver = channel_pair(Limits(max_message_bytes=2000))
    with pytest.raises(LimitExceededError) as info:
        small_receiver.open(big_sender.seal(b"x" * 2001))
    assert info.value.reason == "limit"


def test_oversize_plaintext_inside_a_padding_bucket_is_refused_after_opening() -> None:
    c2r, r2c = os.urandom(32), os.urandom(32)
    big = Channel(ChannelKeys(send=c2r, receive=r2c), CUSTOMER, REP, Limits(max_message_bytes=200))
    small = Channel(
        ChannelKeys(send=r2c, receive=c2r), REP, CUSTOMER, Limits(max_message_bytes=100)
    )
    with pytest.raises(LimitExceededError):
        small.open(big.seal(b"x" * 101))
    assert small.open(big.seal(b"x" * 100)) == b"x" * 100


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_channel_keys_must_be_32_bytes(length: int) -> None:
    with pytest.raises(LocalProtocolError):
        Channel(ChannelKeys(send=bytes(length), receive=bytes(32)), 0, 1)
    with pytest.raises(LocalProtocolError):
        Channel(ChannelKeys(send=bytes(32), receive=bytes(length)), 0, 1)


@pytest.mark.parametrize("size", [0, 5, 1000, 70_000, 1 << 20])
def test_a_frame_in_a_buffer_of_its_own_opens_in_place(size: int) -> None:
    customer, rep = channel_pair()
    message = os.urandom(size)
    arrived = bytearray(b"envelope" + customer.seal(message))
    plaintext = rep.open(memoryview(arrived)[len(b"envelope") :])
    assert isinstance(plaintext, memoryview)
    assert plaintext.obj is arrived  # no copy: the plaintext is where the ciphertext was
    assert plaintext == message


def test_a_bit_flip_in_a_buffer_of_its_own_is_rejected_and_the_channel_survives() -> None:
    customer, rep = channel_pair()
    frame = customer.seal(b"transfer $100" * 100)
    for position in (0, 5, 20, len(frame) // 2, len(frame) - 1):
        flipped = bytearray(frame)
        flipped[position] ^= 0x10
        assert rejected(rep, flipped) in {"tampered", "forged"}
    assert bytes(rep.open(bytearray(frame))) == b"transfer $100" * 100


def test_a_replayed_frame_in_a_buffer_of_its_own_is_rejected() -> None:
    customer, rep = channel_pair()
    frame = customer.seal(b"once")
    assert bytes(rep.open(bytearray(frame))) == b"once"
    assert rejected(rep, bytearray(frame)) == "replayed"
