"""One Settings for every process; each field can be set as DASHLOOM_<NAME> in the environment."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from services.readmodels.rebuild_writer import WRITER_PROCESS_FROM


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
    # Each service's Prometheus /metrics (runtime/telemetry.py), on a port of its own; 0: none.
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    # The address people reach the gateway at (https://dash.example.com), for the links in answers;
    # empty: each request's own base URL.
    public_url: str = ""
    heartbeat_seconds: float = 5.0
    read_your_writes_timeout: float = 3.0
    # `dashloom replay rebuild`: from this many events on, a second process decodes and writes
    # (services/readmodels/rebuild_writer.py).
    rebuild_writer_process_from: int = WRITER_PROCESS_FROM
    # Requests per project per window, by plan (JSON in the environment: {"free": 1000, ...}).
    rate_limits: dict[str, int] = {"free": 1000, "premium": 1000}
    rate_limit_window: int = 3600
    failed_auth_limit: int = 30
    failed_auth_window: int = 600
    # Openings of one /s/ link from one address a minute (each is an event in the link's view log).
    share_views_per_minute: int = 60
    # A backstop only: revocations and rotations reach every gateway's cache as events at once.
    api_key_cache_seconds: float = 5.0
    api_key_usage_interval: float = 300.0
    # A console sign-in lasts this long at most (sign out or revoking its key end it sooner).
    console_session_seconds: float = 8 * 3600
    # Generation: how long the upload POST waits for a small file's dashboard before answering 202.
    generation_sync_seconds: float = 5.0
    generation_ack_wait: float = 60.0
    # Address space of one generation worker, which runs one job at a time (0: no limit).
    generation_memory_bytes: int = 8 * 1024**3
    # A premium dashboard's PDF: A4 or Letter pages (services/generation/pdf_pages.py).
    pdf_page_size: Literal["A4", "Letter"] = "A4"
    max_upload_bytes: int = 512 * 1024 * 1024
    max_line_bytes: int = 1024 * 1024
    # Uploads are kept this long after their generation completed or failed, then deleted.
    upload_retention_seconds: float = 3600.0
    # Health turns "degraded" when a projection lags by more events, or has more parked events.
    health_max_lag: int = 1000
    health_max_parked: int = 0
    # The gateway's HTTP edge (gateway/http_server.py) and the platform's supervision.
    # Proxies whose X-Forwarded-For/-Proto are believed, comma-separated IPs or CIDRs; empty: none.
    trusted_proxies: str = ""
    max_header_bytes: int = 32 * 1024
    header_timeout_seconds: float = 10.0
    keep_alive_seconds: int = 5
    max_connections: int = 1000
    # Websockets (GET /api/v1/ws): open at once and generations followed at once, per project over
    # every gateway (counted in a KV bucket), and per connection; pings; the largest client message.
    ws_connections_per_project: int = 50
    ws_subscriptions_per_project: int = 1000
    ws_subscriptions_per_connection: int = 100
    ws_lease_seconds: float = 30.0
    ws_ticket_seconds: float = 30.0  # a browser's single-use ticket is good this long
    ws_ping_interval: float = 20.0
    ws_ping_timeout: float = 20.0
    ws_max_message_bytes: int = 64 * 1024
    # A service's task that dies is restarted after this, doubling up to the maximum.
    restart_backoff_seconds: float = 0.5
    restart_backoff_max_seconds: float = 15.0

    # Sharing: SMTP for the private links' codes ("smtp://user:password@host:587" uses STARTTLS,
    # "smtps://..." TLS from the start). Empty: each message is written to
    # <state_dir>/outbox/ as an .eml file.
    smtp_url: str = ""
    smtp_from: str = "Dashloom <no-reply@dashloom.localhost>"
    smtp_timeout: float = 15.0
    sharing_request_timeout: float = 10.0
    share_code_requests_per_link: int = 20  # per hour, whatever the address
    share_code_requests_per_address: int = 10  # per hour, per client address, whatever the link

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

    # secrets_key: base64 of 32 bytes sealing what must ride in events (webhook endpoint secrets, tenant-JWT
    # HS256 secrets, iframe-token signing keys; services/runtime/sealing.py); empty:
    # generated once into <state_dir>/secrets.key (set it, the same, on every replica of a cluster).
    secrets_key: str = ""
    # Local and private receivers, and plain http: for development and tests only.
    webhooks_allow_private: bool = False
    webhooks_timeout: float = 15.0
    # Seconds before attempt 1, 2, ... (Svix's schedule); a delivery fails after the last.
    webhooks_retry_schedule: list[float] = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]
    webhooks_disable_after: float = 5 * 24 * 3600
    webhooks_endpoint_concurrency: int = 4
