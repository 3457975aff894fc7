"""Real parts only: a nats-server from the wheel on a free port, SQLite files and PostgreSQL schemas.
The fixtures are the tests.fixtures plugin's."""

import os
import tempfile

pytest_plugins = [
    "tests.fixtures.bus",
    "tests.fixtures.databases",
    "tests.fixtures.gateway",
    "tests.fixtures.services",
    "tests.fixtures.browser",
    "tests.fixtures.cluster",
    "tests.fixtures.topology",
]


def pytest_configure(config) -> None:
    """`dashloom up` records its state folder under $XDG_STATE_HOME: the tests' own, never the user's."""
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="dashloom-tests-xdg-")
