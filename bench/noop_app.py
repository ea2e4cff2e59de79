"""The baseline of bench/run.py: FastAPI under the same uvicorn setup as `lendgres serve`, doing no work.

Its throughput is the ceiling that framework, server and machine allow, so the Lendgres routes are judged as a
fraction of it rather than in absolute requests per second, which depend on the hardware.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


@app.get("/noop")
async def noop() -> dict[str, str]:
    return {"status": "ok"}
