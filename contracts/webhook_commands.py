"""The webhooks service's commands over NATS request-reply: `commands.webhooks.<name>`.

The gateway sends `{"project_id": ..., <arguments>}` and gets `{"ok": true, "data": ...}` or
`{"ok": false, "status": <HTTP status>, "error": "..."}`. A queue group spreads the requests
over the service's replicas.
"""

from __future__ import annotations

SUBJECT = "commands.webhooks"
COMMANDS = ("register", "update", "delete", "rotate_secret", "send_test", "redeliver")


def command_subject(name: str) -> str:
    return f"{SUBJECT}.{name}"
