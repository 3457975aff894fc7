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


LONG_RUNNING = "long_running"


def pytest_configure(config) -> None:
    """`dashloom up` records its state folder under $XDG_STATE_HOME: the tests' own, never the user's."""
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="dashloom-tests-xdg-")
    config.addinivalue_line("markers", f"{LONG_RUNNING}: takes a minute or more; started first on its own worker")


def pytest_collection_modifyitems(config, items) -> None:
    """Under pytest-xdist, each worker starts with its share of the long-running tests.

    `--dist worksteal` hands every worker an equal run of the collected list, in order (the idle
    ones later steal from the ends of the others' runs). A long test late in a run would stretch the
    whole suite by its length; placed at the head of each run, the long tests go first, side by side,
    and the short ones fill in around them.
    """
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers < 2:
        return
    heads: list[list] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    long = [(item.get_closest_marker(LONG_RUNNING).kwargs.get("seconds", 60), item) for item in items
            if item.get_closest_marker(LONG_RUNNING)]
    for seconds, item in sorted(long, key=lambda pair: -pair[0]):  # the longest first, to the least loaded
        worker = loads.index(min(loads))
        heads[worker].append(item)
        loads[worker] += seconds
    rest = iter([item for item in items if not item.get_closest_marker(LONG_RUNNING)])
    ordered, remaining = [], len(items)
    for worker in range(workers):
        run = remaining // (workers - worker)  # what worksteal hands this worker first
        ordered += heads[worker] + [next(rest) for _ in range(run - len(heads[worker]))]
        remaining -= run
    items[:] = ordered
