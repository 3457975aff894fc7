"""Real parts only: a nats-server from the wheel on a free port, SQLite files and PostgreSQL schemas.
The fixtures are the tests.fixtures plugin's."""

pytest_plugins = [
    "tests.fixtures.bus",
    "tests.fixtures.databases",
    "tests.fixtures.gateway",
    "tests.fixtures.services",
    "tests.fixtures.browser",
    "tests.fixtures.cluster",
    "tests.fixtures.topology",
]
