"""Hostile bytes near the system information messages decode or raise our own protocol error."""

from __future__ import annotations

import msgpack
from hypothesis import given
from hypothesis import strategies as st

from codec import decode_message, encode_message
from tests.codec.test_fuzz import fuzz, hostile, msgpack_values, only_our_error
from tests.codec.test_sysinfo import SYSINFO_MESSAGES

SEEDS = [encode_message(m) for m in SYSINFO_MESSAGES]
TYPES = ["sysinfo-request", "sysinfo-report", "sysinfo-refused"]
FIELDS = ["request", "sections", "reason"]

text = st.text(max_size=12)
sections = st.lists(
    st.lists(
        text | st.lists(st.lists(text | st.integers(-(2**40), 2**40), max_size=3), max_size=4),
        max_size=3,
    ),
    max_size=4,
)

near_sysinfo_messages = st.builds(
    lambda t, fields: msgpack.packb({"t": t, **fields}, use_bin_type=True),
    st.sampled_from(TYPES),
    st.dictionaries(
        st.sampled_from(FIELDS),
        msgpack_values | st.integers(-(2**33), 2**33) | sections,
        max_size=3,
    ),
)


@fuzz
@given(data=hostile(SEEDS) | near_sysinfo_messages)
def test_any_bytes_near_a_sysinfo_message_decode_or_raise_protocol_error(data: bytes) -> None:
    only_our_error(decode_message, data)
