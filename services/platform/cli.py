"""`dashloom`: the operator's command line."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import orjson
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from services.eventlog.connection import connect
from services.eventlog.reader import EventReader
from services.eventlog.store import EventStore
from services.gateway.project.commands import create_project
from services.platform.declarations import ALL_PROJECTIONS, SERVICES
from services.platform.state_dir import platform_settings
from services.platform.up import prepare_bus, run_platform
from services.readmodels.checkpoints import bookkeeping, read_checkpoint
from services.readmodels.database import create_read_model_engine, create_tables
from services.readmodels.parking import list_parked, retry_parked
from services.readmodels.rebuild import PartialRebuildRefused, Rebuild, RebuildFailed
from services.runtime.settings import Settings

app = typer.Typer(help="Dashloom: run the platform, replay projections, inspect the event log.",
                  no_args_is_help=True)
replay = typer.Typer(help="Projection checkpoints and rebuilds from the log.", no_args_is_help=True)
projects = typer.Typer(help="Projects and their first API key.", no_args_is_help=True)
events = typer.Typer(help="Inspect and export the event log.", no_args_is_help=True)
app.add_typer(replay, name="replay")
app.add_typer(events, name="events")
app.add_typer(projects, name="projects")
console = Console(stderr=True)
Plan = Literal["free", "premium"]


def _nats_url(settings: Settings) -> str:
    if settings.nats_url:
        return settings.nats_url
    recorded = settings.state_dir / "nats-url"
    if recorded.exists():
        return recorded.read_text().strip()
    raise typer.BadParameter(f"no NATS URL in {settings.state_dir}: start the platform with `dashloom up`, or set "
                             f"DASHLOOM_STATE_DIR to the state folder it runs with (or DASHLOOM_NATS_URL)")


async def _with_bus(settings: Settings, work):
    nc = await connect(_nats_url(settings), "dashloom-cli")
    try:
        return await work(nc.jetstream())
    finally:
        await nc.close()


@app.command()
def up(http_port: Annotated[int, typer.Option(help="Gateway port")] = 0,
       state_dir: Annotated[Path | None, typer.Option(help="Where NATS data and SQLite live")] = None) -> None:
    """Start nats-server, every service and the gateway; Ctrl-C stops all of it."""
    overrides: dict[str, Any] = {k: v for k, v in {"http_port": http_port, "state_dir": state_dir}.items() if v}
    run_platform(Settings(**overrides), SERVICES)


@app.command("setup-bus")
def setup_bus() -> None:
    """Create the EVENTS stream and the buckets (for deployments where `up` does not run)."""
    settings = platform_settings()
    asyncio.run(prepare_bus(_nats_url(settings), settings.stream_replicas))
    console.print("stream and buckets ready")


@projects.command("create")
def projects_create(name: Annotated[str, typer.Option(help="The project's name")],
                    plan: Annotated[Plan, typer.Option(help="free or premium")] = "free") -> None:
    """Create a project and print its first API key (admin scope). The key is shown only now."""
    settings = platform_settings()

    async def create(js):
        return await create_project(EventStore(js), name, plan)

    project_id, issued = asyncio.run(_with_bus(settings, create))
    print(f"project_id: {project_id}\nkey_id: {issued.key_id}\napi_key: {issued.key}")
    console.print("Store the API key now: it is not shown again.")


@replay.command("status")
def replay_status() -> None:
    """Each projection's checkpoint, the stream's last sequence, and the lag."""
    settings = platform_settings()
    last_seq = asyncio.run(_with_bus(settings, lambda js: _last_seq(js)))
    engine = create_read_model_engine(settings.resolved_database_url)
    create_tables(engine, bookkeeping.sorted_tables)
    table = Table("projection", "checkpoint", "stream last seq", "lag")
    with engine.connect() as conn:
        for name in ALL_PROJECTIONS:
            seq = read_checkpoint(conn, name)
            table.add_row(name, str(seq), str(last_seq), str(last_seq - seq))
    Console().print(table)


@replay.command("parked")
def replay_parked(
    name: Annotated[str | None, typer.Argument(help="Only this projection's parked events")] = None,
    retry: Annotated[bool, typer.Option("--retry", help="Apply them again (after fixing the cause)")] = False,
) -> None:
    """Events a projection could not apply and skipped: list them, or retry them."""
    settings = platform_settings()
    engine = create_read_model_engine(settings.resolved_database_url)
    create_tables(engine, bookkeeping.sorted_tables)
    if retry:
        results = asyncio.run(_with_bus(settings, lambda js: retry_parked(js, engine, ALL_PROJECTIONS, name)))
        for result in results:
            outcome = "applied" if result.applied else f"still parked ({result.error_class})"
            console.print(f"{result.projection} seq {result.seq}: {outcome}")
        console.print(f"{sum(r.applied for r in results)} of {len(results)} parked events applied")
        return
    table = Table("projection", "seq", "event id", "type", "error", "message")
    for row in list_parked(engine, name):
        table.add_row(row.projection, str(row.seq), row.event_id, row.event_type, row.error_class, row.message)
    Console().print(table)


async def _last_seq(js) -> int:
    return (await js.stream_info(EventReader(js).stream)).state.last_seq


@replay.command("rebuild")
def replay_rebuild(
    name: Annotated[str | None, typer.Argument(help="Projection to rebuild")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Rebuild every projection")] = False,
    from_seq: Annotated[int | None, typer.Option(help="Start at this stream sequence (projections safe for it)")] = None,
    from_time: Annotated[datetime | None, typer.Option(help="Start at events stored from this time")] = None,
    batch_size: Annotated[int, typer.Option()] = 1000,
    skip_parked: Annotated[bool, typer.Option(
        "--skip-parked", help="Park an event a projection cannot apply (skip it, record it: `replay parked`) "
                              "instead of failing the rebuild")] = False,
) -> None:
    """Rebuild into fresh tables up to the log's end, verify, and swap them in while serving."""
    if all_ == (name is not None):
        raise typer.BadParameter("name one projection, or --all")
    if name is not None and name not in ALL_PROJECTIONS:
        raise typer.BadParameter(f"unknown projection {name!r}; known: {', '.join(ALL_PROJECTIONS)}")
    settings = platform_settings()
    engine = create_read_model_engine(settings.resolved_database_url)
    names = list(ALL_PROJECTIONS) if all_ else [name]

    async def rebuild_all(js):
        for projection_name in names:
            with Progress(TextColumn(projection_name), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[rate]} ev/s"), TimeElapsedColumn(), TimeRemainingColumn(),
                          console=console) as bar:
                task = bar.add_task(projection_name, total=None, rate="-")
                def progress(done: int, total: int) -> None:
                    elapsed = bar.tasks[0].elapsed or 0
                    bar.update(task, completed=done, total=total, rate=f"{done / elapsed:,.0f}" if elapsed else "-")
                rebuild = Rebuild(EventReader(js), engine, ALL_PROJECTIONS[projection_name], batch_size,
                                  writer_process_from=settings.rebuild_writer_process_from, park_poisoned=skip_parked)
                report = await rebuild.run(start_seq=from_seq, start_time=from_time, progress=progress)
            beside = " (written by a second process)" if report.written_beside else ""
            console.print(f"{report.projection}: {report.events_read} events up to seq {report.final_seq} "
                          f"in {report.seconds:.1f}s ({report.events_per_second:,.0f}/s){beside}; rows {report.rows}; "
                          f"matches live: {report.matches_live}")
            if report.parked:
                console.print(f"[yellow]{report.projection}: parked seq {', '.join(map(str, report.parked))} "
                              f"(`dashloom replay parked`)[/yellow]")

    try:
        asyncio.run(_with_bus(settings, rebuild_all))
    except PartialRebuildRefused as refusal:
        console.print(f"[red]{refusal}[/red]")
        raise typer.Exit(2) from None
    except RebuildFailed as failure:  # nothing was swapped in: the live tables are as they were
        console.print(f"[red]rebuild failed, live tables unchanged: {failure}[/red]")
        raise typer.Exit(1) from None


def _event_line(stored) -> bytes:
    return orjson.dumps({"seq": stored.seq, "subject": stored.subject, "stored_at": stored.stored_at,
                         "event": orjson.loads(stored.data)})


@events.command("export")
def events_export(
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line")] = True,
    from_seq: Annotated[int | None, typer.Option()] = None,
    to_seq: Annotated[int | None, typer.Option()] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
) -> None:
    """Write the log (seq, subject, stored time, event) as JSON Lines."""
    settings = platform_settings()

    async def export(js):
        end = to_seq if to_seq is not None else await _last_seq(js)
        out = open(output, "wb") if output else sys.stdout.buffer  # noqa: ASYNC230 - the CLI, nothing else waits
        count = 0
        try:
            async for batch in EventReader(js).batches(start_seq=from_seq, end_seq=end):
                out.write(b"".join(_event_line(e) + b"\n" for e in batch))
                count += len(batch)
        finally:
            if output:
                out.close()
        console.print(f"{count} events exported")

    asyncio.run(_with_bus(settings, export))


@events.command("asyncapi")
def events_asyncapi() -> None:
    """Print the AsyncAPI 3.0 document of the public events (subjects, headers, payload schemas)."""
    from contracts.asyncapi import asyncapi_document

    sys.stdout.buffer.write(orjson.dumps(asyncapi_document(), option=orjson.OPT_INDENT_2) + b"\n")


@events.command("tail")
def events_tail(
    last: Annotated[int, typer.Option("--last", "-n", help="Show this many recent events first")] = 10,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new events")] = False,
) -> None:
    """Print the newest events, and with --follow the ones that arrive after them."""
    settings = platform_settings()

    async def tail(js):
        start = max(await _last_seq(js) - last + 1, 1)
        reader = EventReader(js)
        while True:
            async for batch in reader.batches(start_seq=start):
                for stored in batch:
                    print(f"{stored.seq:>8} {stored.stored_at:%Y-%m-%d %H:%M:%S} {stored.type:<22} {stored.subject}",
                          flush=True)
                start = batch[-1].seq + 1
            if not follow:
                return
            await asyncio.sleep(0.5)

    try:
        asyncio.run(_with_bus(settings, tail))
    except KeyboardInterrupt:
        pass
