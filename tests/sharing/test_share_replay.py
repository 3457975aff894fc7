"""Replay: rebuilding the sharing read models from the log gives the same links, states and view
counts, and sends no email (and appends nothing)."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from contracts import STREAM_NAME
from services.eventlog.reader import EventReader
from services.readmodels.rebuild import Rebuild, table_digest
from services.sharing.models import share_link_views, share_links, shareable_dashboards
from services.sharing.projections import PROJECTIONS
from tests.sharing.test_private_links import ANA, ask_code, code_in, private_link, try_code
from tests.sharing.test_share_links import path_of, share, views_of

TABLES = (share_links, share_link_views, shareable_dashboards)


def digests(engine) -> dict[str, str]:
    with engine.connect() as conn:
        return {table.name: table_digest(conn, table) for table in TABLES}


async def test_rebuilding_the_sharing_read_models_gives_the_same_links_and_sends_no_email(
        client, new_project, worker, sharing, inbox, js, engine):
    premium, private = await private_link(client, new_project)
    dashboard_id = private["dashboard_id"]
    public, revoked, erased = [(await share(client, premium, dashboard_id)).json()["data"] for _ in range(3)]
    for _ in range(3):
        await client.get(path_of(public["url"]))
    await ask_code(client, private, ANA)
    await try_code(client, private, ANA, code_in((await inbox.wait_for(1))[0]))
    await client.get(path_of(private["url"]))
    await views_of(client, premium, private, 1)
    await views_of(client, premium, public, 3)
    await client.delete(f"/api/v1/share-links/{revoked['id']}", headers=premium.auth)
    await client.delete(f"/api/v1/share-links/{erased['id']}?erase=true", headers=premium.auth)
    answers_before = [(await client.get(f"/api/v1/share-links/{link['id']}", headers=premium.auth)).json()
                      for link in (private, public, revoked, erased)]
    before, last_seq, mails = digests(engine), (await js.stream_info(STREAM_NAME)).state.last_seq, len(inbox.messages)

    for projection in PROJECTIONS:
        report = await Rebuild(EventReader(js), engine, projection).run()
        assert report.final_seq == last_seq and report.matches_live is True

    assert digests(engine) == before
    with engine.connect() as conn:
        counts = dict(conn.execute(select(share_links.c.link_id, share_links.c.view_count)).all())
    assert counts[public["id"]] == 3 and counts[private["id"]] == 1
    answers_after = [(await client.get(f"/api/v1/share-links/{link['id']}", headers=premium.auth)).json()
                     for link in (private, public, revoked, erased)]
    assert answers_after == answers_before
    assert [a["data"]["status"] for a in answers_after] == ["active", "active", "revoked", "revoked"]
    await asyncio.sleep(0.5)  # an email a replay had sent would have arrived by now
    assert len(inbox.messages) == mails and (await js.stream_info(STREAM_NAME)).state.last_seq == last_seq
