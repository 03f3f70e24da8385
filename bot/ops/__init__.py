"""Operations: what an operator's monitoring reads (`/healthz`, `/metrics`).

A wing of its own, beside the chat adapters: `metrics.py` holds the
counters the runtime increments (prometheus-client), `server.py` the small
HTTP server that `[ops] listen` starts (aiohttp, the same server Teams'
endpoint will share). Neither imports the runtime: health checks and the
values read at scrape time are handed in as callables.
"""
