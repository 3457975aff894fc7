"""One HTTP attempt: resolve and check the address, POST to that address, read little.

The connection goes to the checked IP; the host name travels only in the Host header and, for
https, as the TLS server name (SNI and certificate check). Redirects are never followed (a 3xx
is a failure) and at most READ_LIMIT bytes of the answer are read. Each endpoint has a client of
its own, its connections kept alive between attempts and no more of them than the attempts it may
get at once.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from services.webhooks.addresses import AddressRefused, resolve_target

READ_LIMIT = 4096

# httpcore tries `import sniffio` for every request and every lock it makes, and a module that is
# not installed is searched for on all of sys.path each time (measured: 6-7 % of the sender's CPU).
# None in sys.modules makes that import fail at once; httpcore then assumes asyncio, as it would.
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


def endpoint_client(concurrency: int, timeout: float, tls: ssl.SSLContext) -> httpx.AsyncClient:
    """One endpoint's client: keep-alive connections, at most `concurrency` of them. `tls` is shared
    by all: each client would otherwise load the CA bundle again (30 ms, on the event loop)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(follow_redirects=False, limits=limits, trust_env=False, timeout=timeout, verify=tls)


def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context(trust_env=False)


@dataclass(frozen=True)
class Response:
    status_code: int | None
    error: str | None  # None: a 2xx
    latency_ms: int
    retry_after: float | None = None


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _classify(response: httpx.Response) -> str | None:
    status = response.status_code
    if 200 <= status < 300:
        return None
    if 300 <= status < 400:
        return f"HTTP {status}: redirects are not followed"
    return f"HTTP {status}"


async def post_webhook(client: httpx.AsyncClient, url: str, headers: dict[str, str], body: bytes,
                       allow_private: bool, timeout: float) -> Response:
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        async with asyncio.timeout(timeout):
            target = await resolve_target(url, allow_private)
            pinned = httpx.URL(url).copy_with(host=target.address)
            extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
            host_header = httpx.URL(url).netloc.decode()
            async with client.stream("POST", pinned, content=body, headers={**headers, "host": host_header},
                                     extensions=extensions) as response:
                read = 0
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read >= READ_LIMIT:
                        break
                error = _classify(response)
                retry_after = retry_after_seconds(response.headers.get("retry-after"))
                return Response(response.status_code, error, elapsed(), retry_after)
    except AddressRefused as refused:
        return Response(None, f"refused: {refused}", elapsed())
    except TimeoutError:
        return Response(None, f"timed out after {timeout:g} s", elapsed())
    except httpx.HTTPError as error:
        return Response(None, f"{type(error).__name__}: {error}"[:300], elapsed())
    except Exception as error:  # noqa: BLE001 - any failure of an attempt is a failed attempt, retried on schedule
        return Response(None, f"the request could not be made ({type(error).__name__})", elapsed())
