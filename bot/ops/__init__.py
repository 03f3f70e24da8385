"""Operations: what an operator's monitoring reads (`/healthz`, `/metrics`).

A wing of its own, beside the chat adapters: `metrics.py` holds the
counters the runtime increments (prometheus-client), `server.py` the small
HTTP server that `[ops] listen` starts (aiohttp's web half, imported only
then), `health.py` the health check's type. None imports the runtime:
health checks and the values read at scrape time are handed in as
callables.
"""
