"""`dashloom up`: the whole platform on one machine.

nats-server from the wheel (JetStream, `sync_interval: always`, data under the state folder),
the EVENTS stream and buckets, then every service as its own process, as compose.yaml runs
them. A service or the nats-server that dies is started again (the server on the same port and
store, the bus's stream and buckets declared again), with a backoff that doubles while it keeps
dying. Ctrl-C (or SIGTERM) stops the services, then the server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
import time

from services.eventlog.connection import connect
from services.eventlog.stream import ensure_events_stream
from services.gateway.edge.ratelimit import ratelimit_bucket
from services.gateway.edge.sessions import session_bucket
from services.gateway.keys.usage import usage_bucket
from services.platform.declarations import checked
from services.platform.state_dir import record_state_dir
from services.runtime.backoff import Backoff
from services.runtime.children import die_with_parent
from services.runtime.heartbeats import heartbeat_bucket
from services.runtime.nats_server import NatsServer
from services.runtime.service import ServiceDeclaration, keep_files_private
from services.runtime.settings import Settings

log = logging.getLogger("dashloom.up")


async def prepare_bus(url: str, replicas: int) -> None:
    """The operator's part: the stream and the buckets services expect to find."""
    nc = await connect(url, "dashloom-setup")
    js = nc.jetstream()
    await ensure_events_stream(js, replicas)
    await heartbeat_bucket(js, replicas)
    await ratelimit_bucket(js, replicas)
    await usage_bucket(js, replicas)
    await session_bucket(js, Settings().console_session_seconds, replicas)
    await nc.close()


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings as DASHLOOM_* variables, so every service sees what `up` was given."""
    return {f"DASHLOOM_{name.upper()}": value if isinstance(value, str) else json.dumps(value, default=str)
            for name, value in settings.model_dump(mode="json", exclude={"resolved_database_url"}).items()}


def service_command(name: str) -> list[str]:
    return [sys.executable, "-m", f"services.{name}"]


class Platform:
    def __init__(self, settings: Settings, services: list[ServiceDeclaration]) -> None:
        self.settings = settings
        self.services = services
        self.nats: NatsServer | None = None
        self.children: dict[str, subprocess.Popen] = {}
        self.backoffs: dict[str, Backoff] = {}
        self.nats_down = False
        self.stopping = False

    def start(self) -> None:
        checked(self.services)
        settings = self.settings
        keep_files_private()  # before the state folder, the bus and every service it starts
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        url = settings.nats_url
        if not url:
            self.nats = NatsServer(settings.nats_store_dir, settings.nats_port,
                                   settings.nats_sync_interval).start()
            url = self.nats.url
        self.url = url
        (settings.state_dir / "nats-url").write_text(url)
        record_state_dir(settings.state_dir)  # the `dashloom` command finds it from any folder
        asyncio.run(prepare_bus(url, settings.stream_replicas))
        self.environment = {**os.environ, **settings_environment(settings),
                            "DASHLOOM_NATS_URL": url,
                            "DASHLOOM_STATE_DIR": str(settings.state_dir.resolve()),
                            "DASHLOOM_DATABASE_URL": settings.resolved_database_url}
        for service in self.services:
            self._spawn(service.name)
        log.info("nats %s, gateway http://%s:%s", url, settings.http_host, settings.http_port)

    def _backoff(self, name: str) -> Backoff:
        return self.backoffs.setdefault(name, Backoff(self.settings.restart_backoff_seconds,
                                                      self.settings.restart_backoff_max_seconds))

    def _spawn(self, name: str) -> None:
        # A process group of its own: a terminal's Ctrl-C reaches `up` only, which stops each
        # service with SIGTERM; the services (and a PDF being drawn) never see the SIGINT.
        self.children[name] = subprocess.Popen(service_command(name), env=self.environment,
                                               preexec_fn=die_with_parent, process_group=0)
        self._backoff(name).started()

    def watch(self) -> None:
        """Restart the nats-server or a service that dies, until asked to stop."""
        while not self.stopping:
            self._watch_nats()
            for name, child in list(self.children.items()):
                if child.returncode is None and child.poll() is not None:
                    log.warning("%s exited with %s; restarting", name, child.returncode)
                    self._backoff(name).died()
                if child.returncode is not None and self._backoff(name).due() and not self.stopping:
                    self._spawn(name)
            time.sleep(0.2)

    def _watch_nats(self) -> None:
        nats, backoff = self.nats, self._backoff("nats-server")
        if nats is None:
            return
        if nats.exited() and not self.nats_down:
            log.warning("nats-server exited with %s; restarting it on %s", nats.returncode, nats.url)
            self.nats_down = True
            backoff.died()
        if not self.nats_down or not backoff.due():
            return
        try:
            nats.start()
        except Exception:
            log.exception("nats-server did not come back; trying again")
            nats.kill()
            backoff.died()
            return
        self.nats_down = False
        backoff.started()
        try:  # the stream and file buckets are on disk; the memory bucket died with the server
            asyncio.run(prepare_bus(self.url, self.settings.stream_replicas))
        except Exception:
            log.exception("could not declare the stream and buckets again; the services declare what they use")

    def stop(self, *_args) -> None:
        self.stopping = True

    def shutdown(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for child in self.children.values():
            try:
                child.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.kill()
        if self.nats:
            self.nats.stop()


def run_platform(settings: Settings, services: list[ServiceDeclaration]) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s up %(levelname)s %(message)s")
    platform = Platform(settings, services)
    signal.signal(signal.SIGINT, platform.stop)
    signal.signal(signal.SIGTERM, platform.stop)
    try:
        platform.start()
        platform.watch()
    finally:
        platform.shutdown()
