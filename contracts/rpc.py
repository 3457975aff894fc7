"""Commands one service sends another over NATS request-reply: each a typed request bound to its
subject and its reply's type, and one refusal, `Refused(code, message)`, for every command.

A command class says `class IssueLink(Command[ShareLinkWithToken])` and `subject = ...`: its name,
its model and its answer are one definition. On the wire a reply is `{"ok": true, "data": ...}`
or `{"ok": false, "code": ..., "message": ...}`; the gateway's envelope alone turns a code into an
HTTP status.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, Literal, TypeVar, get_args

import orjson
from pydantic import BaseModel, TypeAdapter

R = TypeVar("R")
COMMAND_ROOT = "commands"

RefusalCode = Literal["FORBIDDEN", "NOT_FOUND", "CONFLICT", "GONE", "UNAUTHORIZED", "VALIDATION_ERROR",
                      "RATE_LIMITED", "SERVER_ERROR", "SERVICE_UNAVAILABLE"]
REFUSAL_CODES: tuple[str, ...] = get_args(RefusalCode)


class Refused(Exception):
    """A command turned down: a code from REFUSAL_CODES and words for the person who asked."""

    def __init__(self, code: RefusalCode, message: str) -> None:
        super().__init__(message)
        self.code: RefusalCode = code
        self.message = message


class Command(BaseModel, Generic[R]):
    """A request to one service. Subclasses set `subject` and name their reply type as `R`."""

    subject: ClassVar[str]

    @classmethod
    def reply_type(cls) -> Any:
        for base in cls.__mro__:
            metadata = getattr(base, "__pydantic_generic_metadata__", None) or {}
            if metadata.get("origin") is Command and metadata.get("args"):
                return metadata["args"][0]
        raise TypeError(f"{cls.__name__} does not name its reply type: subclass Command[Reply]")


def subject_of(service: str, name: str) -> str:
    return f"{COMMAND_ROOT}.{service}.{name}"


def service_of(subject: str) -> str:
    return subject.split(".")[1]


_adapters: dict[type, TypeAdapter] = {}


def _reply_adapter(command: type[Command[Any]]) -> TypeAdapter:
    if command not in _adapters:
        _adapters[command] = TypeAdapter(command.reply_type())
    return _adapters[command]


def encode_reply(command: type[Command[Any]], data: Any) -> bytes:
    return b'{"ok":true,"data":' + _reply_adapter(command).dump_json(data) + b"}"


def encode_refusal(refused: Refused) -> bytes:
    return RefusalWire(ok=False, code=refused.code, message=refused.message).model_dump_json().encode()


def decode_reply(command: type[Command[R]], body: bytes) -> R:
    """The reply's data as the command's reply type; a refusal is raised as Refused."""
    answer = orjson.loads(body)
    if not answer.get("ok"):
        refusal = RefusalWire.model_validate(answer)
        raise Refused(refusal.code, refusal.message)
    return _reply_adapter(command).validate_python(answer["data"])


class RefusalWire(BaseModel):
    ok: Literal[False]
    code: RefusalCode
    message: str
