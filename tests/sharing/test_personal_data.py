"""Addresses never sit in the immutable log: the raw stream holds only keyed hashes, and erasing
a link destroys its key and addresses for good."""

from __future__ import annotations

import logging

from contracts import STREAM_NAME
from tests.sharing.test_private_links import ANA, ask_code, code_in, private_link, try_code
from tests.sharing.test_share_links import path_of, views_of


async def raw_stream(js) -> bytes:
    """Every stored message, headers and data, as bytes: what anyone with the stream could read."""
    raw = []
    for seq in range(1, (await js.stream_info(STREAM_NAME)).state.last_seq + 1):
        stored = await js.get_msg(STREAM_NAME, seq)
        raw += [stored.subject.encode(), repr(stored.headers).encode(), stored.data]
    return b"\n".join(raw).lower()


async def test_no_address_token_code_or_session_is_in_the_log_in_the_clear(client, new_project, worker, sharing,
                                                                           inbox, js, caplog):
    caplog.set_level(logging.DEBUG)
    premium, link = await private_link(client, new_project)
    await ask_code(client, link, ANA)
    await ask_code(client, link, "eve@example.com")
    code = code_in((await inbox.wait_for(1))[0])
    await try_code(client, link, ANA, "000000" if code != "000000" else "111111")
    opened = await try_code(client, link, ANA, code)
    session = opened.cookies["dashloom_share_session"]
    assert (await client.get(path_of(link["url"]))).status_code == 200
    await client.delete(f"/api/v1/share-links/{link['id']}", headers=premium.auth)

    log = await raw_stream(js)
    assert b"ShareLinkCodeSent".lower() in log and b"ShareLinkViewed".lower() in log  # the events are there
    token = path_of(link["url"])[3:]
    for secret in (ANA, "bo@example.com", "eve@example.com", "ana@", "@example.com", token, session, code):
        assert secret.lower().encode() not in log, secret
    ours = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                      if not r.name.startswith(("mail.log", "httpx")))  # the test's SMTP server and client
    for secret in (ANA, "eve@example.com", token, session, code):
        assert secret not in ours, secret


async def test_erasing_a_link_makes_its_addresses_unrecoverable(client, new_project, worker, sharing, inbox, engine):
    premium, link = await private_link(client, new_project)
    await ask_code(client, link, ANA)
    code = code_in((await inbox.wait_for(1))[0])
    await try_code(client, link, ANA, code)
    await client.get(path_of(link["url"]))
    assert (await views_of(client, premium, link, 1))[0]["email"] == ANA
    views = f"/api/v1/share-links/{link['id']}/views"

    erased = await client.delete(f"/api/v1/share-links/{link['id']}?erase=true", headers=premium.auth)
    assert erased.status_code == 200, erased.text
    data = erased.json()["data"]
    assert data["status"] == "revoked" and data["erased"] is True and data["allowed_emails"] == []
    view = (await client.get(views, headers=premium.auth)).json()["data"][0]
    assert view["viewer"] == "erased" and view["email"] is None
    assert sharing.queries.personal.key_of(link["id"]) is None  # the key the hashes were made with is gone
    with engine.connect() as conn:
        dump = "\n".join(str(row) for table in ("share_links", "share_link_views", "share_link_keys")
                         for row in conn.exec_driver_sql(f"SELECT * FROM {table}"))
    assert ANA not in dump and "bo@example.com" not in dump
    assert (await client.get(path_of(link["url"]))).status_code == 410

