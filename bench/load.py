"""A small HTTP/1.1 keep-alive load generator (asyncio streams), run in its own process.

    python bench/load.py URL SECONDS CONNECTIONS [Header: value ...]

Prints one JSON line: requests, seconds, requests per second and the count per status.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import urlsplit


async def worker(host: str, port: int, request: bytes, deadline: float, statuses: Counter) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    while time.monotonic() < deadline:
        writer.write(request)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        statuses[int(status_line.split()[1])] += 1
    writer.close()


async def main(url: str, seconds: float, connections: int, headers: list[str]) -> None:
    parts = urlsplit(url)
    extra = "".join(f"{h}\r\n" for h in headers)
    request = f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n{extra}\r\n".encode()
    statuses: Counter = Counter()
    started = time.monotonic()
    host, port = parts.hostname or "localhost", parts.port or 80
    await asyncio.gather(*[worker(host, port, request, started + seconds, statuses)
                           for _ in range(connections)])
    elapsed = time.monotonic() - started
    total = sum(statuses.values())
    print(json.dumps({"requests": total, "seconds": elapsed, "rps": total / elapsed,
                      "statuses": {str(k): v for k, v in statuses.items()}}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]))
