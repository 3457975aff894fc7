"""One Settings for every process; each field can be set as DASHLOOM_<NAME> in the environment."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DASHLOOM_", extra="ignore")

    state_dir: Path = Path(".dashloom")
    # Empty: `dashloom up` starts the embedded nats-server and passes its URL to every service.
    nats_url: str = ""
    nats_port: int = 0
    nats_sync_interval: str = "always"
    stream_replicas: int = 1
    # Empty: a SQLite file in the state folder.
    database_url: str = ""
    blob_backend: Literal["disk", "nats"] = "disk"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    heartbeat_seconds: float = 5.0
    read_your_writes_timeout: float = 3.0
    # Requests per project per window, by plan (JSON in the environment: {"free": 1000, ...}).
    rate_limits: dict[str, int] = {"free": 1000, "premium": 1000}
    rate_limit_window: int = 3600
    failed_auth_limit: int = 30
    failed_auth_window: int = 600
    api_key_cache_seconds: float = 30.0
    api_key_usage_interval: float = 300.0
    # Generation: how long the upload POST waits for a small file's dashboard before answering 202.
    generation_sync_seconds: float = 5.0
    generation_ack_wait: float = 60.0
    # Address space of one generation worker, which runs one job at a time (0: no limit).
    generation_memory_bytes: int = 8 * 1024**3
    max_upload_bytes: int = 512 * 1024 * 1024
    max_line_bytes: int = 1024 * 1024

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.state_dir / 'readmodels.db').resolve()}"

    @property
    def nats_store_dir(self) -> Path:
        return self.state_dir / "nats"

    @property
    def blob_dir(self) -> Path:
        return self.state_dir / "blobs"
