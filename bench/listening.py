"""Waiting for a process the benchmark started to answer over HTTP."""

from __future__ import annotations

import time

import httpx


def wait_listening(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError(url)
