"""Tenant dashboards end to end: the gateway, a generation worker and the sharing service, each
against the test's nats-server (the sharing fixtures: its settings, SMTP server and clock)."""

from tests.generation.conftest import worker  # noqa: F401  (fixtures)
from tests.sharing.conftest import clock, inbox, settings, sharing  # noqa: F401
