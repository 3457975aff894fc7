"""`dashloom up` as a user runs it: the whole platform, stopped with Ctrl-C, started again."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from contracts import ProjectCreated
from services.eventlog.connection import connect
from services.eventlog.store import EventStore
from services.runtime.nats_server import free_port


def start_platform(state_dir: Path, port: int, environment: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "services.platform", "up", "--state-dir", str(state_dir),
                             "--http-port", str(port)],
                            env={**os.environ, "DASHLOOM_HEARTBEAT_SECONDS": "0.5", **(environment or {})})


def wait_for_health(port: int, check, timeout: float = 40.0) -> dict:
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).json()
            if check(last):
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"health never satisfied the check; last answer: {last}")


def everything_up(body: dict) -> bool:
    data = body.get("data") or {}
    return data.get("status") == "ok" and all(s["status"] == "up" for s in data["services"].values())


async def append_one(url: str) -> None:
    """An event no service reacts to, so the log holds exactly one event afterwards."""
    nc = await connect(url, "test")
    await EventStore(nc.jetstream()).append(
        ProjectCreated(project_id="platform", aggregate_id="platform", payload={"name": "Platform"}))
    await nc.close()


def listening(url: str) -> bool:
    host, port = url.removeprefix("nats://").split(":")
    try:
        with socket.create_connection((host, int(port)), timeout=0.5):
            return True
    except OSError:
        return False


def stop_with_ctrl_c(platform: subprocess.Popen) -> int:
    platform.send_signal(signal.SIGINT)
    return platform.wait(30)


def test_up_serves_stops_cleanly_and_finds_its_data_again(tmp_path):
    state, port = tmp_path / "state", free_port()
    platform = start_platform(state, port)
    try:
        body = wait_for_health(port, everything_up)
        assert set(body["data"]["services"]) == {"gateway", "generation", "sharing", "webhooks"}
        assert body["data"]["database"]["backend"] == "sqlite"
        nats_url = (state / "nats-url").read_text()
        assert not nats_url.endswith(":4222")  # a NATS on the default port is neither needed nor touched
        asyncio.run(append_one(nats_url))
        wait_for_health(port, lambda b: b["data"]["projections"].get("generations", {}).get("checkpoint") == 1)
        assert stop_with_ctrl_c(platform) == 0
        assert not listening(nats_url)
        loose = [f"{path} {oct(path.stat().st_mode & 0o777)}" for path in [state, *state.rglob("*")]
                 if path.stat().st_mode & 0o077]
        assert loose == []  # the read models, blobs and the bus's store: the owner's alone
    finally:
        if platform.poll() is None:
            platform.kill()

    platform = start_platform(state, port)
    try:
        body = wait_for_health(port, everything_up)
        assert body["data"]["bus"]["last_seq"] == 1
        assert body["data"]["projections"]["generations"] == {"status": "up", "checkpoint": 1, "lag": 0, "parked": 0}
        assert stop_with_ctrl_c(platform) == 0
    finally:
        if platform.poll() is None:
            platform.kill()
