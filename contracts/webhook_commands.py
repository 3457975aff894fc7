"""What the gateway asks the webhooks service over NATS request-reply: `commands.webhooks.<name>`."""

from __future__ import annotations

SUBJECT = "commands.webhooks"
COMMANDS = ("register", "update", "delete", "rotate_secret", "send_test", "redeliver")


def command_subject(name: str) -> str:
    return f"{SUBJECT}.{name}"
