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

    # Webhooks (services/webhooks). secrets_key: base64 of 32 bytes sealing endpoint secrets; empty:
    # generated once into <state_dir>/secrets.key (set it, the same, on every replica of a cluster).
    secrets_key: str = ""
    # Local and private receivers, and plain http: for development and tests only.
    webhooks_allow_private: bool = False
    webhooks_timeout: float = 15.0
    # Seconds before attempt 1, 2, ... (Svix's schedule); a delivery fails after the last.
    webhooks_retry_schedule: list[float] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    webhooks_disable_after: float = 5 * 24 * 3600
    webhooks_endpoint_concurrency: int = 4
