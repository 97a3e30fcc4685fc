"""Credit flow control: no frame without credit, changes coalesce, a new viewer starts afresh."""

from __future__ import annotations

import pytest

from codec import (
    MAX_CREDIT,
    VIEWER_WINDOW,
    CreditGrant,
    LocalProtocolError,
    ProtocolError,
    ScreenFlow,
    ViewerFlow,
)


def send_frame(flow: ScreenFlow) -> None:
    """What the sharer does with credit: capture, encode (a keyframe if due), send."""
    assert flow.should_capture()
    flow.start_capture()
    flow.captured(sent=True)


def test_nothing_is_captured_before_the_viewer_grants_credit() -> None:
    flow = ScreenFlow()
    assert not flow.should_capture()
    flow.note_change()
    assert not flow.should_capture()


def test_a_new_viewer_gets_a_keyframe_first() -> None:
    flow = ScreenFlow()
    flow.grant(ViewerFlow().start())
    assert flow.should_capture()
    assert flow.start_capture()
    assert not flow.start_capture()


def test_sending_spends_credit_and_stops_when_it_is_gone() -> None:
    flow = ScreenFlow()
    flow.grant(CreditGrant(2, keyframe=True))
    for _ in range(2):
        flow.note_change()
        send_frame(flow)
    flow.note_change()
    assert flow.credit == 0
    assert not flow.should_capture()


def test_changes_made_without_credit_become_one_frame_of_the_newest_screen() -> None:
    flow = ScreenFlow()
    flow.grant(CreditGrant(1, keyframe=True))
    send_frame(flow)
    for _ in range(50):  # a burst while the link is busy
        flow.note_change()
    flow.grant(CreditGrant(1))
    send_frame(flow)
    assert not flow.should_capture()


def test_an_unchanged_screen_costs_no_credit() -> None:
    flow = ScreenFlow()
    flow.grant(CreditGrant(1, keyframe=True))
    send_frame(flow)
    flow.grant(CreditGrant(1))
    assert not flow.should_capture()  # nothing changed since
    flow.note_change()
    flow.start_capture()
    flow.captured(sent=False)  # the change was undone before the capture
    assert flow.credit == 1


def test_a_change_during_a_capture_is_captured_next() -> None:
    flow = ScreenFlow()
    flow.grant(CreditGrant(2, keyframe=True))
    flow.start_capture()
    flow.note_change()  # drawn while the first capture was being encoded
    flow.captured(sent=True)
    assert flow.should_capture()


def test_sending_without_credit_is_a_local_error() -> None:
    flow = ScreenFlow()
    with pytest.raises(LocalProtocolError):
        flow.captured(sent=True)


def test_a_viewer_granting_beyond_the_window_is_refused() -> None:
    flow = ScreenFlow()
    flow.grant(CreditGrant(MAX_CREDIT, keyframe=True))
    with pytest.raises(ProtocolError, match="beyond"):
        flow.grant(CreditGrant(1))
    assert flow.credit == MAX_CREDIT


def test_the_viewer_returns_one_credit_per_completed_frame() -> None:
    viewer = ViewerFlow()
    assert viewer.start() == CreditGrant(VIEWER_WINDOW, keyframe=True)
    assert viewer.decoded(frame_complete=False) is None
    assert viewer.decoded(frame_complete=True) == CreditGrant(1)


def test_a_broken_viewer_asks_for_a_keyframe_once_and_resets_the_credit() -> None:
    viewer, flow = ViewerFlow(), ScreenFlow()
    flow.grant(viewer.start())
    send_frame(flow)
    flow.grant(viewer.decoded(frame_complete=True) or CreditGrant(0))
    reset = viewer.refused()
    assert reset == CreditGrant(VIEWER_WINDOW, keyframe=True)
    assert viewer.refused() is None  # stale messages still arriving do not ask again
    flow.grant(reset)
    assert (flow.credit, flow.start_capture()) == (VIEWER_WINDOW, True)
