"""Hostile bytes near the sharing messages decode or raise our own protocol error."""

from __future__ import annotations

import msgpack
from hypothesis import given
from hypothesis import strategies as st

from codec import decode_message, encode_message
from tests.codec.test_fuzz import fuzz, hostile, msgpack_values, only_our_error
from tests.codec.test_share_messages import SHARE_MESSAGES

SEEDS = [encode_message(m) for m in SHARE_MESSAGES]
FIELDS = ["activity", "rep", "title", "detail", "reason", "data", "frames", "keyframe"]
FIELDS += ["monitors", "monitor", "lossy", "x", "y", "dx", "dy", "button", "down", "keysym", "text"]
TYPES = ["consent-request", "consent-grant", "consent-deny", "consent-revoke", "status"]
TYPES += ["screen", "credit", "monitors", "view-select", "pointer", "button", "wheel", "key"]
TYPES += ["clipboard"]

near_share_messages = st.builds(
    lambda t, fields: msgpack.packb({"t": t, **fields}, use_bin_type=True),
    st.sampled_from(TYPES),
    st.dictionaries(
        st.sampled_from(FIELDS),
        msgpack_values
        | st.integers(-(2**31), 2**31)
        | st.sampled_from(["view-desktop", "control-app", "show-rep-desktop"])
        | st.lists(st.lists(st.integers(-1, 9000), max_size=5), max_size=3),
        max_size=5,
    ),
)


@fuzz
@given(data=hostile(SEEDS) | near_share_messages)
def test_any_bytes_near_a_sharing_message_decode_or_raise_protocol_error(data: bytes) -> None:
    only_our_error(decode_message, data)
