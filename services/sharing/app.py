"""The sharing service: share links, private-link viewers and iframe embed tokens."""

from __future__ import annotations

from services.runtime.service import run_service
from services.sharing.projections import PROJECTIONS


def main() -> None:
    run_service("sharing", projections=PROJECTIONS)


if __name__ == "__main__":
    main()
