"""The email that carries a private link's code: SMTP when configured, else an .eml in the outbox.

`DASHLOOM_SMTP_URL`: smtp://[user:password@]host[:port] (STARTTLS when the server offers it),
smtps://... (TLS from the first byte). Without one (the embedded default) each message is
written to <state_dir>/outbox/ so a person trying Dashloom locally can read the code there.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib

log = logging.getLogger(__name__)


def code_message(sender: str, recipient: str, dashboard_title: str, code: str, minutes: int) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = f"Your Dashloom code: {code}"
    message.set_content(
        f"Your code to open the dashboard \"{dashboard_title}\" is\n\n    {code}\n\n"
        f"It works once, for {minutes} minutes. If you did not ask for it, ignore this email.\n")
    return message


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 15.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("DASHLOOM_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        self.options: dict[str, Any] = {
            "hostname": parts.hostname, "port": parts.port or (465 if parts.scheme == "smtps" else 587),
            "use_tls": parts.scheme == "smtps", "timeout": timeout,
            "username": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
        }

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(message, **self.options)


class OutboxMailer:
    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox

    async def send(self, message: EmailMessage) -> None:
        path = self.outbox / f"{uuid.uuid4().hex}.eml"
        await asyncio.to_thread(self._write, path, message.as_bytes())
        log.info("no SMTP server configured (DASHLOOM_SMTP_URL): the message is in %s", path.resolve())

    def _write(self, path: Path, data: bytes) -> None:
        """The owner's alone (0600 in a 0700 folder) whatever the umask: a code opens a private link."""
        self.outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
            file.write(data)


def mailer_for(smtp_url: str, outbox: Path, timeout: float = 15.0) -> SmtpMailer | OutboxMailer:
    return SmtpMailer(smtp_url, timeout) if smtp_url else OutboxMailer(outbox)
