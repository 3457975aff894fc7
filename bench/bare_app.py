"""The baselines of bench/gateway.py: bare FastAPI JSON routes, served by uvicorn like the gateway
(uvloop, httptools, an access-log line per request: uvicorn's own, as the gateway writes its own).

/tiny answers a two-field envelope. /same answers, as a plain dict, the very document the
gateway answered for the benchmark's page (given once at start-up through BARE_PAYLOAD), so
the two differ only by what the gateway does to produce it: authentication, the shared rate
limit, the read model.
"""

from __future__ import annotations

import json
import os
import sys

import uvicorn
from fastapi import FastAPI

app = FastAPI()
SAME = json.loads(os.environ.get("BARE_PAYLOAD", '{"success": true, "data": []}'))


@app.get("/tiny")
async def tiny() -> dict:
    return {"success": True, "data": []}


@app.get("/same")
async def same() -> dict:
    return SAME


if __name__ == "__main__":
    # as the gateway: uvloop, httptools, one access-log line per request
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="info", access_log=True, loop="uvloop")
