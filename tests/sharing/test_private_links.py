"""Private links end to end: the email form, the code over real SMTP (aiosmtpd), the session
cookie, the lock after 5 wrong codes, revocation ending a live session, no enumeration."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import cast

import httpx

from contracts import STREAM_NAME
from services.eventlog.reader import EventReader
from tests.generation.test_viewer import dashboard_of
from tests.sharing.test_share_links import assert_page_headers, path_of, share, views_of

ANA = "ana@example.com"


async def private_link(client, new_project, **body) -> tuple:
    premium = await new_project(plan="premium")
    dashboard_id = await dashboard_of(client, premium, title="Private sales")
    made = await share(client, premium, dashboard_id, allowed_emails=[ANA, "bo@example.com"], **body)
    assert made.status_code == 201, made.text
    return premium, made.json()["data"]


async def ask_code(client, link: dict, email: str):
    return await client.post(f"{path_of(link['url'])}/code", data={"email": email})


async def try_code(client, link: dict, email: str, code: str):
    return await client.post(f"{path_of(link['url'])}/session", data={"email": email, "code": code})


def code_in(message) -> str:
    return cast(re.Match[str], re.search(r"\b(\d{6})\b", message.get_payload())).group(1)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_private_link_asks_for_an_email_and_emails_a_code_only_to_an_allowed_one(
        client, new_project, worker, sharing, inbox):
    _, link = await private_link(client, new_project)
    form = await client.get(path_of(link["url"]))
    assert form.status_code == 200 and '<input id="email" name="email" type="email"' in form.text
    assert "<script" not in form.text  # a plain form: no JavaScript needed
    assert_page_headers(form)

    stranger = await ask_code(client, link, "eve@example.com")
    allowed = await ask_code(client, link, ANA.upper())
    assert stranger.status_code == allowed.status_code == 200
    assert stranger.text.replace("eve@example.com", "X") == allowed.text.replace(ANA.upper(), "X")  # no enumeration
    (message,) = await inbox.wait_for(1)
    await asyncio.sleep(0.3)  # had the stranger's request sent anything, it would be here by now
    assert len(inbox.messages) == 1 and message["To"] == ANA
    assert "Private sales" in message.get_payload()


async def test_the_right_code_opens_a_session_that_revocation_ends(client, new_project, worker, sharing, inbox):
    premium, link = await private_link(client, new_project)
    await ask_code(client, link, ANA)
    code = code_in((await inbox.wait_for(1))[0])
    opened = await try_code(client, link, ANA, code)
    assert opened.status_code == 303 and opened.headers["location"] == path_of(link["url"])
    cookie = opened.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and f"Path={path_of(link['url'])}" in cookie
    assert int(re.search(r"Max-Age=(\d+)", cookie).group(1)) <= 12 * 3600
    page = await client.get(path_of(link["url"]), headers={"User-Agent": "ana-browser"})
    assert page.status_code == 200 and 'class="chart"' in page.text
    assert (await try_code(client, link, ANA, code)).status_code == 422  # a code works once

    views = await views_of(client, premium, link, 1)
    assert [(v["viewer"], v["email"], v["user_agent"]) for v in views] == [("email", ANA, "ana-browser")]

    await client.delete(f"/api/v1/share-links/{link['id']}", headers=premium.auth)
    gone = await client.get(path_of(link["url"]))  # the same cookie, a moment later
    assert gone.status_code == 410 and "revoked" in gone.text


async def test_five_wrong_codes_lock_the_code_even_when_tried_at_once(client, new_project, worker, sharing, inbox, js):
    _, link = await private_link(client, new_project)
    await ask_code(client, link, ANA)
    code = code_in((await inbox.wait_for(1))[0])
    tries = await asyncio.gather(*(try_code(client, link, ANA, wrong(code)) for _ in range(8)))
    assert {answer.status_code for answer in tries} == {422}
    assert "wrong" in tries[0].text
    rejected = [e async for batch in EventReader(js, STREAM_NAME).batches(subject=f"events.sharelink.{link['id']}")
                for e in batch if e.type == "ShareLinkCodeRejected"]
    assert len(rejected) == 5  # concurrent guesses cannot get past the fifth: appends are versioned
    assert (await try_code(client, link, ANA, code)).status_code == 422  # locked: even the right code
    assert (await client.get(path_of(link["url"]))).text.count('type="email"') == 1  # still no session

    await ask_code(client, link, ANA)  # a new code works again
    fresh = code_in((await inbox.wait_for(2))[1])
    assert (await try_code(client, link, ANA, fresh)).status_code == 303


async def test_codes_last_ten_minutes_and_sessions_twelve_hours(client, new_project, worker, sharing, inbox, clock):
    _, link = await private_link(client, new_project)
    await ask_code(client, link, ANA)
    code = code_in((await inbox.wait_for(1))[0])
    clock.advance(timedelta(minutes=10, seconds=1))
    assert (await try_code(client, link, ANA, code)).status_code == 422
    await ask_code(client, link, ANA)
    code = code_in((await inbox.wait_for(2))[1])
    assert (await try_code(client, link, ANA, code)).status_code == 303
    assert 'class="chart"' in (await client.get(path_of(link["url"]))).text
    clock.advance(timedelta(hours=12, seconds=1))
    assert 'type="email"' in (await client.get(path_of(link["url"]))).text


async def test_a_code_for_one_address_does_not_open_the_link_for_another(client, new_project, worker, sharing, inbox):
    _, link = await private_link(client, new_project)
    await ask_code(client, link, ANA)
    code = code_in((await inbox.wait_for(1))[0])
    for email in ("bo@example.com", "eve@example.com"):
        refused = await try_code(client, link, email, code)
        assert refused.status_code == 422 and "set-cookie" not in refused.headers


async def test_code_requests_are_limited_per_client_address(client, new_project, worker, sharing, settings, inbox):
    _, link = await private_link(client, new_project)
    answers = [await ask_code(client, link, f"guess{n}@example.com") for n in range(settings.share_code_requests_per_address + 1)]
    assert [a.status_code for a in answers[:-1]] == [200] * settings.share_code_requests_per_address
    assert answers[-1].status_code == 429 and "Too many" in answers[-1].text


async def test_the_session_cookie_is_secure_behind_https(client, new_project, worker, sharing, inbox):
    _, link = await private_link(client, new_project)
    over_https = httpx.AsyncClient(transport=client._transport, base_url="https://gateway.test")
    async with over_https:
        await ask_code(over_https, link, ANA)
        opened = await try_code(over_https, link, ANA, code_in((await inbox.wait_for(1))[0]))
    assert opened.status_code == 303 and "; Secure" in opened.headers["set-cookie"]
    plain = await ask_code(client, link, ANA)
    assert plain.status_code == 200
    again = await try_code(client, link, ANA, code_in((await inbox.wait_for(2))[1]))
    assert "Secure" not in again.headers["set-cookie"]  # plain http (a local try-out) still gets its session
