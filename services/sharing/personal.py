"""Personal data kept out of the log: each private link's key and its addresses, deletable.

Events carry an address only as HMAC-SHA256 under the link's own random key. The key and the
addresses live in `share_link_keys` alone; erasing a link deletes that row, after which the
hashes in the log are bytes that nobody can link to an address (not even with the server's
secrets: there are none to guess with). Codes are hashed under the same key, so the log does
not give away a 6-digit code to a brute force either.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, select

from services.readmodels.database import create_tables
from services.sharing.models import personal_data, share_link_keys


@dataclass(frozen=True)
class LinkKey:
    link_id: str
    key: bytes
    addresses: dict[str, str]  # email hash -> address

    def email_hash(self, email: str) -> str:
        return self._mac(f"email:{email}")

    def code_hash(self, email_hash: str, code: str) -> str:
        return self._mac(f"code:{email_hash}:{code}")

    def _mac(self, text: str) -> str:
        return hmac.new(self.key, text.encode(), hashlib.sha256).hexdigest()


class PersonalData:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        create_tables(engine, personal_data.sorted_tables)

    def keep(self, link_id: str, emails: list[str]) -> LinkKey:
        """A new key for the link and its addresses, stored before any event names their hashes."""
        unhashed = LinkKey(link_id, secrets.token_bytes(32), {})
        link_key = LinkKey(link_id, unhashed.key, {unhashed.email_hash(e): e for e in emails})
        with self.engine.begin() as conn:
            conn.execute(share_link_keys.insert().values(link_id=link_id, hmac_key=link_key.key,
                                                         addresses=link_key.addresses))
        return link_key

    def key_of(self, link_id: str) -> LinkKey | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(share_link_keys).where(share_link_keys.c.link_id == link_id)).first()
        return LinkKey(row.link_id, row.hmac_key, row.addresses) if row else None

    def addresses_of(self, link_ids: list[str]) -> dict[str, dict[str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(share_link_keys.c.link_id, share_link_keys.c.addresses)
                                .where(share_link_keys.c.link_id.in_(link_ids))).all()
        return {row.link_id: row.addresses for row in rows}

    def erase(self, link_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(share_link_keys).where(share_link_keys.c.link_id == link_id))
