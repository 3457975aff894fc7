"""`dashloom up`: the whole platform on one machine.

nats-server from the wheel (JetStream, `sync_interval: always`, data under the state folder),
the EVENTS stream and buckets, then every service as its own process, as compose.yaml runs
them. Ctrl-C (or SIGTERM) stops the services, then the server.
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
from services.gateway.ratelimit import ratelimit_bucket
from services.gateway.usage import usage_bucket
from services.runtime.children import die_with_parent
from services.runtime.heartbeats import SERVICES, heartbeat_bucket
from services.runtime.nats_server import NatsServer
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
    await nc.close()


def settings_environment(settings: Settings) -> dict[str, str]:
    """The settings as DASHLOOM_* variables, so every service sees what `up` was given."""
    return {f"DASHLOOM_{name.upper()}": value if isinstance(value, str) else json.dumps(value, default=str)
            for name, value in settings.model_dump(mode="json", exclude={"resolved_database_url"}).items()}


def service_command(name: str) -> list[str]:
    return [sys.executable, "-m", f"services.{name}"]


class Platform:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.nats: NatsServer | None = None
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = False

    def start(self) -> None:
        settings = self.settings
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        url = settings.nats_url
        if not url:
            self.nats = NatsServer(settings.nats_store_dir, settings.nats_port,
                                   settings.nats_sync_interval).start()
            url = self.nats.url
        (settings.state_dir / "nats-url").write_text(url)
        asyncio.run(prepare_bus(url, settings.stream_replicas))
        self.environment = {**os.environ, **settings_environment(settings),
                            "DASHLOOM_NATS_URL": url,
                            "DASHLOOM_STATE_DIR": str(settings.state_dir.resolve()),
                            "DASHLOOM_DATABASE_URL": settings.resolved_database_url}
        for name in SERVICES:
            self._spawn(name)
        log.info("nats %s, gateway http://%s:%s", url, settings.http_host, settings.http_port)

    def _spawn(self, name: str) -> None:
        self.children[name] = subprocess.Popen(service_command(name), env=self.environment,
                                               preexec_fn=die_with_parent)

    def watch(self) -> None:
        """Restart a service that dies, until asked to stop."""
        while not self.stopping:
            for name, child in list(self.children.items()):
                if child.poll() is not None and not self.stopping:
                    log.warning("%s exited with %s; restarting", name, child.returncode)
                    time.sleep(1)
                    self._spawn(name)
            time.sleep(0.2)

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


def run_platform(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s up %(levelname)s %(message)s")
    platform = Platform(settings)
    signal.signal(signal.SIGINT, platform.stop)
    signal.signal(signal.SIGTERM, platform.stop)
    try:
        platform.start()
        platform.watch()
    finally:
        platform.shutdown()
