"""SSRF: private, loopback, link-local, CGNAT, multicast, unspecified, ULA and IPv4-mapped
addresses are refused at send time, names are resolved once and the checked address is used."""

from __future__ import annotations

import asyncio
import base64
import os
import socket

import httpx
import pytest

from services.webhooks.addresses import AddressRefused, resolve_target, url_problem
from services.webhooks.http_attempt import post_webhook

REFUSED = ["https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://172.16.0.1/", "https://192.168.1.1/",
           "https://169.254.169.254/latest/meta-data/", "https://[::1]/hook", "https://[::ffff:127.0.0.1]/hook",
           "https://[::ffff:10.0.0.1]/", "https://100.64.0.1/", "https://0.0.0.0/", "https://[::]/",
           "https://[fc00::1]/", "https://[fe80::1]/", "https://224.0.0.1/", "https://[64:ff9b::a9fe:a9fe]/",
           "https://localhost/hook", "https://[2002:7f00:1::]/", "https://[2002:a00:1::1]/hook"]
# Refused IPv4 addresses inside NAT64 (64:ff9b::/96) and 6to4 (2002::/16) IPv6 ones: the IPv4
# address decides (Python 3.11 calls all of 64:ff9b::/96 reserved, newer ones call it global)
EMBEDDED = {"https://[64:ff9b::7f00:1]/hook": "loopback", "https://[64:ff9b::127.0.0.1]/": "loopback",
            "https://[64:ff9b::a00:1]/": "private", "https://[64:ff9b::c0a8:101]/": "private",
            "https://[2002:7f00:1::]/": "loopback", "https://[2002:c0a8:101::1]/": "private",
            "https://[2002:a9fe:a9fe::]/latest/": "link-local", "https://[2002:6440:1::]/": "CGNAT"}


@pytest.mark.parametrize("url", REFUSED + list(EMBEDDED))
async def test_internal_addresses_are_refused(url):
    with pytest.raises(AddressRefused):
        await resolve_target(url, allow_private=False)


@pytest.mark.parametrize(("url", "embedded"), EMBEDDED.items())
def test_internal_addresses_inside_nat64_and_6to4_are_refused_for_what_they_carry(url, embedded):
    assert url_problem(url, allow_private=False) == f"the URL's address is {embedded}"


async def test_a_public_address_passes_and_is_the_one_used():
    target = await resolve_target("https://93.184.215.14:8443/hook", allow_private=False)
    assert (target.scheme, target.host, target.port, target.address) == ("https", "93.184.215.14", 8443, "93.184.215.14")


@pytest.mark.parametrize("url,problem", [("http://93.184.215.14/", "https"), ("https://u:p@93.184.215.14/", "credentials"),
                                         ("ftp://93.184.215.14/", "https"), ("https:///nohost", "no host")])
def test_bad_urls_are_refused_before_any_lookup(url, problem):
    assert problem in url_problem(url, allow_private=False)


@pytest.mark.parametrize("url", ["https://1.1.1.1/hook\r\nX-Injected: 1", "https://1.1.1.1/a b", "https://1.1.1.1/\x00",
                                 "https://" + "a" * 64 + ".example/", "https://c[", "https://exa\u2028mple.com/"])
def test_urls_that_could_never_be_called_are_refused_before_any_lookup(url):
    assert url_problem(url, allow_private=False) is not None


async def test_any_failure_of_an_attempt_is_a_failed_attempt_never_an_exception(monkeypatch):
    async def broken(url, allow_private):
        raise UnicodeError("label empty or too long")

    monkeypatch.setattr("services.webhooks.http_attempt.resolve_target", broken)
    async with httpx.AsyncClient() as client:
        answer = await post_webhook(client, "https://hooks.example.com/", {}, b"{}", allow_private=False, timeout=5)
    assert answer.status_code is None and "could not be made" in answer.error


def test_the_operator_switch_allows_local_receivers_and_http():
    assert url_problem("http://127.0.0.1:9000/hook", allow_private=True) is None


@pytest.fixture
def fake_dns(monkeypatch):
    """hooks.example.test resolves to loopback; every lookup is counted."""
    lookups: list[str] = []
    real = asyncio.base_events.BaseEventLoop.getaddrinfo

    async def getaddrinfo(self, host, port, *args, **kwargs):
        lookups.append(host)
        if host == "hooks.example.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return await real(self, host, port, *args, **kwargs)

    monkeypatch.setattr(asyncio.base_events.BaseEventLoop, "getaddrinfo", getaddrinfo)
    return lookups


async def test_a_name_resolving_to_loopback_is_refused_and_nothing_is_sent(fake_dns, receiver):
    async with httpx.AsyncClient() as client:
        answer = await post_webhook(client, f"https://hooks.example.test:{receiver.port}/hook", {}, b"{}",
                                    allow_private=False, timeout=5)
    assert answer.status_code is None and "may not be called" in answer.error
    assert "127.0.0.1" not in answer.error  # what a name resolves to inside stays out of the record
    assert receiver.requests == []


async def test_the_checked_address_is_the_one_connected_to(fake_dns, receiver):
    """One lookup per attempt, by us: the HTTP client connects to the IP (no second lookup to rebind)."""
    async with httpx.AsyncClient() as client:
        answer = await post_webhook(client, f"http://hooks.example.test:{receiver.port}/hook", {"webhook-id": "m1"},
                                    b"{}", allow_private=True, timeout=5)
    assert answer.status_code == 200 and answer.error is None
    assert fake_dns == ["hooks.example.test"]
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.example.test:{receiver.port}"


async def test_an_address_in_the_url_is_used_without_a_lookup(fake_dns, receiver):
    async with httpx.AsyncClient() as client:
        answer = await post_webhook(client, receiver.url(), {"webhook-id": "m1"}, b"{}", allow_private=True, timeout=5)
    assert answer.status_code == 200 and len(receiver.requests) == 1
    assert fake_dns == []


@pytest.fixture
def webhook_settings(settings):
    """The service as deployed: DASHLOOM_WEBHOOKS_ALLOW_PRIVATE off."""
    return settings.model_copy(update={"secrets_key": base64.b64encode(os.urandom(32)).decode()})


async def test_without_the_switch_a_local_receiver_gets_nothing(client, new_project, receiver, webhooks_service):
    """End to end with DASHLOOM_WEBHOOKS_ALLOW_PRIVATE off: registration refuses a loopback URL
    outright; a name that resolves to loopback is refused at send time."""
    project = await new_project()
    refused = await client.post("/api/v1/webhooks", headers=project.auth,
                                json={"url": f"https://127.0.0.1:{receiver.port}/hook", "events": ["generation.completed"]})
    assert refused.status_code == 422 and refused.json()["code"] == "VALIDATION_ERROR"
    assert "loopback" in refused.json()["error"]
    created = await client.post("/api/v1/webhooks", headers=project.auth,
                                json={"url": f"https://localhost:{receiver.port}/hook", "events": ["webhook.test"]})
    endpoint = created.json()["data"]
    await client.post(f"/api/v1/webhooks/{endpoint['id']}/test", headers=project.auth)
    async with asyncio.timeout(10):
        while not (found := (await client.get(f"/api/v1/webhooks/{endpoint['id']}/deliveries",
                                              headers=project.auth)).json()["data"]) or not found[0]["attempts"]:
            await asyncio.sleep(0.05)
    error = found[0]["attempts"][0]["error"]
    assert "refused" in error and "may not be called" in error and "127.0.0.1" not in error
    assert receiver.requests == []
