"""The site policy (SPEC S6): which features are on, session types, caps.

An administrator writes one TOML file; :func:`parse_policy` turns its text
into a :class:`Policy` or raises :class:`PolicyError` with a one-line
message naming the file, the line and the key. Nothing here reads a file
(``peer._policy`` finds and reads it), so every rule is testable from a
string.

How others use it::

    policy.allows(Feature.CONTROL)          # True or False
    policy.check(Feature.CONTROL)           # raises FeatureDisabledError(message)
    policy.refusal(Feature.CONTROL)         # "control of the customer's screen is
                                            #  turned off by this site's policy"
    policy.refusal_for_rep(Feature.CONTROL) # the same, sent to the rep who asked
    policy.start(type_name, tracking_code)  # the (type, tracking code) a session starts
                                            # with, or PolicyRefusalError naming the choices
    policy.max_customers                    # customers one session admits
    policy.max_sessions                     # sessions one rep runs at once

A feature that touches the customer's machine is checked twice: on the
rep's side before asking, and on the customer's side against the
customer's own policy before anything leaves or touches it.

The file::

    [features]                  # every feature defaults to on
    file_transfer_basic = true
    file_transfer_advanced = false
    view = true
    control = false
    application_sharing = true
    recording = false
    system_information = true
    audio = false
    video = false

    [sessions]
    types = ["general", "billing"]   # the first is the default type
    require_tracking_code = true
    max_customers = 3                # per session
    max_sessions = 2                 # per rep, at once
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from codec._consent import Activity
from codec._errors import HelplineError
from codec._validate import text_problem

__all__ = [
    "DEFAULT_POLICY",
    "MAX_TRACKING_CODE_CHARS",
    "Feature",
    "FeatureDisabledError",
    "Policy",
    "PolicyError",
    "PolicyRefusalError",
    "parse_policy",
    "toml_line_of",
]

MAX_TRACKING_CODE_CHARS = 64
_MAX_TYPE_CHARS = 40
_MAX_TYPES = 64
_MAX_CAP = 1000
_TYPE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class Feature(Enum):
    """Each switch of the policy's ``[features]`` table; the value is its key."""

    FILE_TRANSFER_BASIC = "file_transfer_basic"
    FILE_TRANSFER_ADVANCED = "file_transfer_advanced"
    VIEW = "view"
    CONTROL = "control"
    APPLICATION_SHARING = "application_sharing"
    RECORDING = "recording"
    SYSTEM_INFORMATION = "system_information"
    AUDIO = "audio"
    VIDEO = "video"

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_DESCRIPTIONS = {
    Feature.FILE_TRANSFER_BASIC: "sharing files with the customer",
    Feature.FILE_TRANSFER_ADVANCED: "transferring files to or from the customer's computer",
    Feature.VIEW: "viewing the customer's screen",
    Feature.CONTROL: "control of the customer's screen",
    Feature.APPLICATION_SHARING: "application sharing",
    Feature.RECORDING: "recording the session",
    Feature.SYSTEM_INFORMATION: "system information",
    Feature.AUDIO: "audio",
    Feature.VIDEO: "video",
}


class PolicyError(HelplineError):
    """The policy file is malformed; the message names the file, line and key to fix."""


class PolicyRefusalError(HelplineError):
    """What was asked is outside the site policy; the message says what is allowed."""


class FeatureDisabledError(PolicyRefusalError):
    """A feature the site policy turned off; ask the site's administrator."""

    def __init__(self, feature: Feature, message: str) -> None:
        super().__init__(message)
        self.feature = feature


@dataclass(frozen=True, slots=True)
class Policy:
    disabled: frozenset[Feature] = frozenset()
    session_types: tuple[str, ...] = ("general",)
    require_tracking_code: bool = False
    max_customers: int = 10
    max_sessions: int = 4
    #: Where it came from, for messages ("the built-in defaults" when no file).
    source: str = field(default="the built-in defaults", compare=False)

    def allows(self, feature: Feature) -> bool:
        return feature not in self.disabled

    def refusal(self, feature: Feature) -> str:
        """The sentence a person sees when *feature* is refused."""
        return f"{feature.description} is turned off by this site's policy"

    def refusal_for_rep(self, feature: Feature) -> str:
        """The sentence the rep who asked reads when the customer's own policy refuses.

        "This site's" would be the rep's own site, which may allow it.
        """
        return (
            f"{feature.description} is turned off by the policy on the customer's computer; "
            "the customer was not asked"
        )

    def check(self, feature: Feature) -> None:
        if not self.allows(feature):
            raise FeatureDisabledError(feature, self.refusal(feature))

    def activity_refusal(self, activity: Activity) -> str | None:
        """None when the policy allows the screen *activity*; else the sentence that says no."""
        for feature in ACTIVITY_FEATURES[activity]:
            if not self.allows(feature):
                return self.refusal(feature)
        return None

    def start(self, type_name: str | None, tracking_code: str | None) -> tuple[str, str | None]:
        """The session type and tracking code a new session gets, or a refusal."""
        choices = ", ".join(self.session_types)
        if type_name is None:
            session_type = self.session_types[0]
        else:
            wanted = type_name.strip().casefold()
            matches = [t for t in self.session_types if t.casefold() == wanted]
            if not matches:
                raise PolicyRefusalError(
                    f"there is no session type {type_name.strip()[:_MAX_TYPE_CHARS]!r}; "
                    f"choose one of: {choices}"
                )
            session_type = matches[0]
        code = tracking_code.strip() if tracking_code is not None else ""
        if problem := text_problem(code, max_chars=MAX_TRACKING_CODE_CHARS, multiline=False):
            raise PolicyRefusalError(f"the tracking code is refused: {problem}")
        if not code and self.require_tracking_code:
            raise PolicyRefusalError(
                "this site requires a tracking code: start with --tracking CODE "
                f"(session types: {choices})"
            )
        return session_type, code or None


DEFAULT_POLICY = Policy()

#: What each screen activity needs the policy to allow. Showing the rep's own
#: desktop touches nothing of the customer's, so no switch governs it.
ACTIVITY_FEATURES: dict[Activity, tuple[Feature, ...]] = {
    Activity.VIEW_DESKTOP: (Feature.VIEW,),
    Activity.CONTROL_DESKTOP: (Feature.VIEW, Feature.CONTROL),
    Activity.VIEW_APP: (Feature.APPLICATION_SHARING,),
    Activity.CONTROL_APP: (Feature.APPLICATION_SHARING, Feature.CONTROL),
    Activity.SHOW_REP_DESKTOP: (),
}

_SESSION_KEYS = {"types", "require_tracking_code", "max_customers", "max_sessions"}


def parse_policy(text: str, source: str) -> Policy:
    """The policy in *text*; *source* (the file's path) is named in every error."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise _Locator(text, source).syntax_error(str(e)) from None
    where = _Locator(text, source)
    for key in data:
        if key not in ("features", "sessions"):
            raise where.error(key, "unknown section; the policy has [features] and [sessions]")
    features = _table(data, "features", where)
    sessions = _table(data, "sessions", where)
    known = {f.value for f in Feature}
    disabled = set()
    for key, value in features.items():
        if key not in known:
            raise where.error(
                f"features.{key}", f"unknown feature; known: {', '.join(sorted(known))}"
            )
        if not isinstance(value, bool):
            raise where.error(f"features.{key}", "must be true or false")
        if not value:
            disabled.add(Feature(key))
    for key in sessions:
        if key not in _SESSION_KEYS:
            raise where.error(
                f"sessions.{key}", f"unknown setting; known: {', '.join(sorted(_SESSION_KEYS))}"
            )
    defaults = DEFAULT_POLICY
    require = sessions.get("require_tracking_code", defaults.require_tracking_code)
    if not isinstance(require, bool):
        raise where.error("sessions.require_tracking_code", "must be true or false")
    return Policy(
        disabled=frozenset(disabled),
        session_types=_types(sessions, where),
        require_tracking_code=require,
        max_customers=_cap(sessions, "max_customers", defaults.max_customers, where),
        max_sessions=_cap(sessions, "max_sessions", defaults.max_sessions, where),
        source=source,
    )


def _table(data: dict[str, Any], key: str, where: _Locator) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise where.error(key, f"must be a table: [{key}]")
    return value


def _types(sessions: dict[str, Any], where: _Locator) -> tuple[str, ...]:
    raw = sessions.get("types", list(DEFAULT_POLICY.session_types))
    if not isinstance(raw, list) or not raw or len(raw) > _MAX_TYPES:
        raise where.error(
            "sessions.types", f'must be a list of 1 to {_MAX_TYPES} names: ["general"]'
        )
    for name in raw:
        if (
            not isinstance(name, str)
            or len(name) > _MAX_TYPE_CHARS
            or not _TYPE_NAME.fullmatch(name)
        ):
            raise where.error(
                "sessions.types",
                f"{str(name)[:_MAX_TYPE_CHARS]!r} is not a type name "
                f"(letters, digits, '_', '-', '.'; at most {_MAX_TYPE_CHARS})",
            )
    if len({n.casefold() for n in raw}) != len(raw):
        raise where.error("sessions.types", "lists a type twice")
    return tuple(raw)


def _cap(sessions: dict[str, Any], key: str, default: int, where: _Locator) -> int:
    value = sessions.get(key, default)
    if type(value) is not int or not 1 <= value <= _MAX_CAP:
        raise where.error(f"sessions.{key}", f"must be a whole number from 1 to {_MAX_CAP}")
    return value


class _Locator:
    """Finds the line a key was written on; tomllib keeps no positions."""

    def __init__(self, text: str, source: str) -> None:
        self.lines = text.splitlines()
        self.source = source

    def error(self, dotted: str, problem: str) -> PolicyError:
        line = self.line_of(dotted)
        at = f"line {line}: " if line else ""
        return PolicyError(f"{self.source}: {at}{dotted}: {problem}")

    def syntax_error(self, message: str) -> PolicyError:
        """tomllib says "Invalid value (at line 3, column 9)"; add the key written there."""
        m = re.search(r"\(at line (\d+), column \d+\)", message)
        problem = message[: m.start()].strip() if m else message
        if m is None:
            return PolicyError(f"{self.source}: {problem}")
        number = int(m.group(1))
        key = self.key_at(number)
        return PolicyError(
            f"{self.source}: line {number}: " + (f"{key}: " if key else "") + problem.lower()
        )

    def key_at(self, number: int) -> str | None:
        current = ""
        for text in self.lines[: number - 1]:
            if m := _HEADER.match(text):
                current = _normal(m.group(1))
        if number > len(self.lines) or not (m := _ASSIGN.match(self.lines[number - 1])):
            return None
        return _normal(f"{current}.{m.group(1)}" if current else m.group(1))

    def line_of(self, dotted: str) -> int | None:
        wanted = _normal(dotted)
        current = ""
        for number, text in enumerate(self.lines, start=1):
            if m := _HEADER.match(text):
                current = _normal(m.group(1))
                if current == wanted:
                    return number
            elif m := _ASSIGN.match(text):
                full = _normal(f"{current}.{m.group(1)}" if current else m.group(1))
                if full == wanted or full.startswith(f"{wanted}."):
                    return number
        return None


_HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_ASSIGN = re.compile(r"^\s*([A-Za-z0-9_.\-\"' ]+?)\s*=")


def toml_line_of(text: str, dotted: str) -> int | None:
    """The line of TOML *text* that sets *dotted* ("smtp.port"), or None if none does."""
    return _Locator(text, "").line_of(dotted)


def _normal(key: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in key.split("."))
