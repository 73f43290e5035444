"""The baseline of the HTTP command figure: the least any command route can do, measured in the same run.

`python -m tests.bench.baseline_api NATS_URL DATABASE_URL PORT` serves one FastAPI route with
uvicorn, as the gateway serves its API: it reads the JSON body, makes one NATS request/reply (to
an echo responder in this process, over its own connection) and commits one row to PostgreSQL.
A Ketnap command does at least that (the gateway's request to the service, the service's append),
so Ketnap's figure divided by this one is how much of the machine the rest costs.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Any

import asyncpg
import nats
import uvicorn
from fastapi import FastAPI, Request

TABLE = (
    "CREATE TABLE IF NOT EXISTS bench_http_baseline "
    "(id uuid PRIMARY KEY, body jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT now())"
)


async def serve(nats_url: str, database_url: str, port: int) -> None:
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=10)
    async with pool.acquire() as conn:
        await conn.execute(TABLE)
    responder = await nats.connect(nats_url)
    client = await nats.connect(nats_url)

    async def echo(msg: Any) -> None:  # noqa: ANN401
        await msg.respond(msg.data)

    await responder.subscribe("bench.baseline.echo", queue="bench", cb=echo)
    await responder.flush()
    app = FastAPI()

    @app.post("/command")
    async def command(request: Request) -> dict[str, Any]:
        body = await request.body()
        reply = await client.request("bench.baseline.echo", body, timeout=10)
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO bench_http_baseline (id, body) VALUES ($1, $2)", uuid.uuid4(), reply.data.decode())
        return {"ok": True}

    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_config=None, access_log=False)
    await uvicorn.Server(config).serve()


if __name__ == "__main__":
    asyncio.run(serve(sys.argv[1], sys.argv[2], int(sys.argv[3])))
