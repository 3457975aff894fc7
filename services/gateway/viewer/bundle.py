"""The Vega, Vega-Lite and Vega-Embed JavaScript, served by Dashloom itself (no CDN).

vl-convert-python carries the libraries; the bundle is built once per process, on first use,
and served under a name that holds its versions, so browsers may cache it forever.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated

import vl_convert

from services.gateway.edge.dependencies import part

VEGA_LITE_VERSION = "6.4"  # the newest vl-convert carries; specs name the v6 schema


class VegaBundle:
    def __init__(self) -> None:
        self._body: bytes | None = None
        self._lock = asyncio.Lock()
        self.name = (f"vega-{vl_convert.get_vega_version()}-lite-{VEGA_LITE_VERSION}"
                     f"-embed-{vl_convert.get_vega_embed_version()}.js")

    async def body(self) -> bytes:
        async with self._lock:
            if self._body is None:
                source = await asyncio.to_thread(vl_convert.javascript_bundle, None, f"v{VEGA_LITE_VERSION}")  # type: ignore[arg-type]  # None: the whole bundle
                self._body = source.encode()
            return self._body

    async def etag(self) -> str:
        return hashlib.sha256(await self.body()).hexdigest()[:32]


Bundle = Annotated[VegaBundle, part(VegaBundle)]
