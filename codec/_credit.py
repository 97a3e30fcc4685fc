"""Credit-based flow control for screen updates, as VNC does it.

Theory of operation. The viewer grants credit (:class:`~codec.CreditGrant`);
one credit lets the sharer send one captured frame (however many update
messages it takes). The sharer captures only when it holds credit and
something changed, so a change made while the link is busy is not queued:
the next capture simply sees the newest screen, and a slow link lowers the
frame rate, never the freshness. The viewer gives a credit back each time a
frame is complete in its framebuffer, keeping at most :data:`VIEWER_WINDOW`
frames in flight.

A viewer whose decoder broke (a lost message, a bad one) asks for a
keyframe with a grant that *resets* its credit; until that keyframe comes it
ignores the stale messages still on the way rather than asking again for
each.
"""

from __future__ import annotations

from codec._errors import LocalProtocolError, ProtocolError
from codec._share_messages import MAX_CREDIT, CreditGrant

__all__ = ["VIEWER_WINDOW", "ScreenFlow", "ViewerFlow"]

#: Frames a viewer lets be in flight: two keeps the link busy while one is drawn.
VIEWER_WINDOW = 2


class ScreenFlow:
    """The sharer's side for one viewer: when to capture, and whether to start afresh."""

    def __init__(self) -> None:
        self.credit = 0
        #: A new viewer, or one that lost track, needs a self-contained frame.
        self.keyframe_due = True
        #: The screen changed since the last frame sent (or we cannot tell: polling).
        self.changed = True

    def grant(self, grant: CreditGrant) -> None:
        if grant.keyframe:
            self.credit = grant.frames
            self.keyframe_due = True
            return
        if self.credit + grant.frames > MAX_CREDIT:
            raise ProtocolError(
                f"viewer granted credit beyond {MAX_CREDIT} frames in flight", reason="limit"
            )
        self.credit += grant.frames

    def note_change(self) -> None:
        self.changed = True

    def should_capture(self) -> bool:
        return self.credit > 0 and (self.changed or self.keyframe_due)

    def start_capture(self) -> bool:
        """A capture begins now; True if it must be encoded as a keyframe.

        Changes noted from here on belong to the next capture: this one may
        already have read the screen before they were drawn.
        """
        self.changed = False
        due, self.keyframe_due = self.keyframe_due, False
        return due

    def captured(self, *, sent: bool) -> None:
        """The capture was encoded; *sent* when it produced messages (it changed)."""
        if sent:
            if self.credit <= 0:
                raise LocalProtocolError("a frame was sent without credit")
            self.credit -= 1


class ViewerFlow:
    """The viewer's side: the grants to send as frames complete or the decoder breaks."""

    def __init__(self, window: int = VIEWER_WINDOW) -> None:
        if not 0 < window <= MAX_CREDIT:
            raise LocalProtocolError(f"a viewer window is 1 to {MAX_CREDIT} frames")
        self.window = window
        self._awaiting_keyframe = True

    def start(self) -> CreditGrant:
        self._awaiting_keyframe = True
        return CreditGrant(self.window, keyframe=True)

    def decoded(self, *, frame_complete: bool) -> CreditGrant | None:
        """A message was applied; the credit to return when it completed a frame.

        After a reset the decoder takes nothing but a keyframe, so the first
        message it accepts is the fresh start the reset asked for.
        """
        self._awaiting_keyframe = False
        return CreditGrant(1) if frame_complete else None

    def refused(self) -> CreditGrant | None:
        """The decoder refused a message: ask for a keyframe, once."""
        if self._awaiting_keyframe:
            return None
        return self.start()
