"""Embedding end to end: the gateway, the sharing service and a generation worker on the test's
nats-server, with the sharing service's movable clock."""

from tests.generation.conftest import worker  # noqa: F401  (fixtures)
from tests.sharing.conftest import clock, inbox, settings, sharing  # noqa: F401  (fixtures)
