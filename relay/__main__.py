"""``python -m relay``: the same as ``helpline-relay``."""

from __future__ import annotations

from relay.cli import main

raise SystemExit(main())
