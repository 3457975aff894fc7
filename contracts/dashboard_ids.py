"""Typed dashboard ids: every dashboard id starts with `dsh_`, and a tenant id never does."""

from __future__ import annotations

DASHBOARD_ID_PREFIX = "dsh_"
DASHBOARD_ID_PATTERN = r"^dsh_[A-Za-z0-9_-]{1,120}$"


def is_dashboard_id(value: str) -> bool:
    """A dashboard id, by its prefix alone."""
    return value.startswith(DASHBOARD_ID_PREFIX)


def canonical_dashboard_id(old: str) -> str:
    """The id an event written before typed ids names: `d<generation id>` became `dsh_<generation id>`.

    Upcasters apply it to old GenerationCompleted and ShareLinkIssued events, so the log reads as
    if every dashboard had always had its typed id, and a replay rebuilds them under it.
    """
    if is_dashboard_id(old):
        return old
    return DASHBOARD_ID_PREFIX + (old[1:] if old.startswith("d") and len(old) > 1 else old)
