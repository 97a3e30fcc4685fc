"""Which site policy applies: ``--policy FILE``, ``HELPLINE_POLICY``, or the config folder.

The rules themselves live in :mod:`codec` (:class:`codec.Policy`, pure and
testable from a string); this module only finds the file and reads it. Use
:func:`load_policy` once at start-up and pass the :class:`~codec.Policy`
around; ``policy.allows(Feature.X)`` / ``policy.check(Feature.X)`` are the
feature switches (see :mod:`codec._policy` for the whole API and the file).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

from codec import DEFAULT_POLICY, Policy, PolicyError, parse_policy

__all__ = ["ENV_POLICY", "load_policy", "policy_path"]

ENV_POLICY = "HELPLINE_POLICY"


def policy_path(flag: str | None = None) -> tuple[Path, bool]:
    """The policy file to read and whether someone named it (a named file must exist)."""
    if flag:
        return Path(flag), True
    if env := os.environ.get(ENV_POLICY):
        return Path(env), True
    default = Path(platformdirs.user_config_dir("helpline")) / "policy.toml"
    return default, False


def load_policy(flag: str | None = None) -> Policy:
    """The site policy in force; the built-in defaults when no file is named or present."""
    path, named = policy_path(flag)
    if not named and not path.exists():
        return DEFAULT_POLICY
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError(f"{path}: no such policy file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PolicyError(f"{path}: cannot read the policy file: {e}") from None
    return parse_policy(text, str(path))
