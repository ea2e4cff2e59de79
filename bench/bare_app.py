"""The reference point of bench/run.py: an application filed by the bare minimum, served the same way as Lendgres.

Issue 2 sets apply's target against this design: a body validated by pydantic and one PL/pgSQL insert through
asyncpg, and nothing else (no audit trail, idempotency key, authorization, event or request log). Where it measured
3,500 requests per second against a no-op ceiling of 8,600 (0.41), 0.25 asks an apply to cost at most about 1.6
times this one insert. Measured in the same run, this app says what that means on the machine at hand.

It answers the same POST /loans/apply as Lendgres (the headers it does not use are ignored), so the same wrk script
drives both. BARE_DATABASE_URL names a database whose public schema its role may create in; the table and the
function are made there at start-up.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel

from lendgres.settings import pool_max_size_from_env

SCHEMA = """
create table if not exists bare_application (
  application_id bigint generated always as identity primary key,
  applicant_name text not null,
  amount numeric(12, 2) not null check (amount > 0),
  created_at timestamptz not null default now()
);

create or replace function bare_apply(applicant_name text, amount numeric) returns bigint
language plpgsql as $$
declare
  v_application_id bigint;
begin
  insert into bare_application (applicant_name, amount) values (applicant_name, amount)
  returning application_id into v_application_id;
  return v_application_id;
end;
$$;
"""


class ApplyRequest(BaseModel):
    applicant_name: str
    amount: Decimal


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The same number of connections as Lendgres' pool, so that only the work per request differs.
    size = pool_max_size_from_env()
    async with asyncpg.create_pool(os.environ["BARE_DATABASE_URL"], min_size=size, max_size=size) as pool:
        await pool.execute(SCHEMA)
        app.state.pool = pool
        yield


app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, lifespan=lifespan)


@app.post("/loans/apply", status_code=201)
async def apply(application: ApplyRequest) -> dict[str, int]:
    pool: asyncpg.Pool = app.state.pool
    application_id = await pool.fetchval("select bare_apply($1, $2)", application.applicant_name, application.amount)
    return {"application_id": application_id}


@app.get("/ready")
async def ready() -> dict[str, str]:
    return {"status": "ok"}
