"""Which of the rep's activity buttons may be pressed now, and if not, why not.

One pure function over what the console knows: the site policy, this
rep's role, whether a customer is there, and the consent state the rep's
side mirrors. The console enables a button when its entry is None and
shows the sentence otherwise as the button's tooltip, so a rep never
presses something that can only fail and always learns what would make it
work. The customer's side enforces consent whatever the buttons say; this
is about not offering what cannot happen.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from codec import Feature, Role

__all__ = ["Action", "Situation", "why_not"]


class Action(Enum):
    """Each button of the activity bar; the value is its label."""

    VIEW_DESKTOP = "View desktop"
    CONTROL_DESKTOP = "Control desktop"
    VIEW_APP = "View application"
    CONTROL_APP = "Control application"
    SHOW_DESKTOP = "Show my desktop"
    STOP = "Stop"
    FILES = "Files"
    SYSINFO = "System information"


#: What each asking activity needs the site policy to allow.
_NEEDS: dict[Action, tuple[Feature, ...]] = {
    Action.VIEW_DESKTOP: (Feature.VIEW,),
    Action.CONTROL_DESKTOP: (Feature.VIEW, Feature.CONTROL),
    Action.VIEW_APP: (Feature.APPLICATION_SHARING,),
    Action.CONTROL_APP: (Feature.APPLICATION_SHARING, Feature.CONTROL),
    Action.SHOW_DESKTOP: (),
    Action.SYSINFO: (Feature.SYSTEM_INFORMATION,),
}
_ASKING = (
    Action.VIEW_DESKTOP,
    Action.CONTROL_DESKTOP,
    Action.VIEW_APP,
    Action.CONTROL_APP,
    Action.SHOW_DESKTOP,
)


@dataclass(frozen=True, slots=True)
class Situation:
    """What the buttons depend on, read from the session by the console."""

    role: Role
    #: The primary customer's name, or None while no customer is in the session.
    customer: str | None
    #: Something is shared or control is on (the rep's mirror of the customer's consent).
    sharing: bool
    #: A request waits for the customer's answer.
    asking: bool
    #: The session is over (ended, lost, or control handed on).
    over: bool = False


def why_not(action: Action, policy_allows: dict[Feature, str | None], now: Situation) -> str | None:
    """None when *action* may be pressed; else the sentence that says why not.

    *policy_allows* maps each feature to None (on) or the policy's refusal.
    """
    if now.over:
        return "the session is over"
    if action is Action.STOP:
        return None if now.sharing or now.asking else "nothing is shared now"
    for feature in _NEEDS.get(action, ()):
        refusal = policy_allows.get(feature)
        if refusal is not None:
            return refusal
    if action is Action.FILES:
        basic = policy_allows.get(Feature.FILE_TRANSFER_BASIC)
        advanced = policy_allows.get(Feature.FILE_TRANSFER_ADVANCED)
        if basic is not None and advanced is not None:
            return "file transfer is turned off by this site's policy"
        if now.role is not Role.REP:
            return "only the controlling rep moves files; an assistant watches"
    if action is Action.SYSINFO and now.role is not Role.REP:
        return "only the controlling rep can ask for system information"
    if action in _ASKING and now.role is not Role.REP:
        # The customer's side refuses an assistant's request anyway (SPEC M4, M5).
        return "only the controlling rep asks to see or share a screen; an assistant watches"
    if now.customer is None:
        return "no customer has joined yet"
    if action in _ASKING:
        if now.asking:
            # No name here: tooltips may read text as HTML, and names are the customer's.
            return "the customer has not answered the last request yet"
        if now.sharing:
            return "something is shared already: press Stop first"
    return None
