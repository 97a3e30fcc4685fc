from __future__ import annotations

from peer.cli import main

if __name__ == "__main__":
    main()
