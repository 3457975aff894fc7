"""The remembered tenant JWTs: until exp, never past a key event of their project, never from a
read model older than a key event already seen (the race a deletion could otherwise lose)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.gateway.edge.auth import Principal
from services.gateway.embedding.verified_tokens import VerifiedTokens, token_hash

EXP = 2_000_000_000.0


def principal(project_id: str = "p1") -> Principal:
    return Principal(project_id=project_id, plan="free", kind="tenant_jwt", subject="tenant:a",
                     scopes=frozenset({"read"}), tenant_ids=frozenset({"a"}),
                     expires_at=datetime.fromtimestamp(EXP, UTC))


def test_a_token_is_remembered_until_its_exp():
    now = [EXP - 10]
    tokens = VerifiedTokens(clock=lambda: now[0])
    tokens.remember(token_hash("t"), principal(), applied_seq=0)
    assert tokens.get(token_hash("t")) == principal()
    assert tokens.get(token_hash("other")) is None
    now[0] = EXP
    assert tokens.get(token_hash("t")) is None


def test_a_key_event_drops_the_tokens_of_its_project_only():
    tokens = VerifiedTokens(clock=lambda: EXP - 10)
    tokens.remember(token_hash("mine"), principal("p1"), applied_seq=0)
    tokens.remember(token_hash("theirs"), principal("p2"), applied_seq=0)
    tokens.key_changed("p1", 7)
    assert tokens.get(token_hash("mine")) is None
    assert tokens.get(token_hash("theirs")) == principal("p2")


def test_a_key_read_before_its_project_s_last_key_event_was_projected_is_not_remembered():
    tokens = VerifiedTokens(clock=lambda: EXP - 10)
    tokens.key_changed("p1", 7)  # e.g. the key's deletion, seen in the log before the read model applied it
    tokens.remember(token_hash("t"), principal(), applied_seq=6)
    assert tokens.get(token_hash("t")) is None
    tokens.remember(token_hash("t"), principal(), applied_seq=7)
    assert tokens.get(token_hash("t")) == principal()
