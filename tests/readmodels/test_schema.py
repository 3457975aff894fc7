"""Services start together: each creates the read-model tables it needs, at the same moment."""

import threading

from sqlalchemy import inspect

from services.platform.declarations import ALL_PROJECTIONS
from services.readmodels.database import create_read_model_engine
from services.readmodels.runner import create_read_model_tables


def test_processes_creating_the_same_tables_at_once_all_succeed(database_url):
    starters = 6
    barrier = threading.Barrier(starters)
    failures: list[BaseException] = []

    def start_service() -> None:
        engine = create_read_model_engine(database_url)  # one engine each, as separate processes have
        try:
            barrier.wait()
            create_read_model_tables(engine, *ALL_PROJECTIONS.values())
        except BaseException as error:  # noqa: BLE001 - collected and asserted below
            failures.append(error)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start_service) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    engine = create_read_model_engine(database_url)
    expected = {t.name for p in ALL_PROJECTIONS.values() for t in p.tables().values()} | {"projection_checkpoints"}
    assert expected <= set(inspect(engine).get_table_names())
    engine.dispose()
