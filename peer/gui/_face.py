"""What the customer's face and the rep's face hold alike: the session's parts a window drives.

Each face runs the parts the CLI runs for its side: the sharing side of its
role (with the consent machines), the site policy, the file settings and,
once started, the file engine; clicks reach them through the
:class:`Bridge`. :class:`peer.gui._customer.CustomerFace` and
:class:`peer.gui._rep.RepFace` add their window and what only their side does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from peer._share_cli import open_sharing
from peer._share_customer import CustomerSharing
from peer._share_rep import RepSharing

if TYPE_CHECKING:
    from codec import Policy
    from peer._file_settings import FileSettings
    from peer._file_transfers import FileTransfers
    from peer._session import Session
    from peer.gui._bridge import Bridge

__all__ = ["SessionFace"]

S = TypeVar("S", CustomerSharing, RepSharing)


class SessionFace(Generic[S]):
    def __init__(
        self, session: Session, side: type[S], bridge: Bridge, policy: Policy, files: FileSettings
    ) -> None:
        sharing = open_sharing(session, policy)
        if not isinstance(sharing, side):
            raise TypeError(f"a {session.role.value}'s session has no {side.__name__}")
        self.sharing: S = sharing
        self.bridge = bridge
        self.policy = policy
        self.settings = files
        #: The file engine, while the session runs.
        self.files: FileTransfers | None = None
