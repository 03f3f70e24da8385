"""allies-bot: a working group's meeting cycle in its chat room.

The wings, bottom to top (import-linter checks the order on every test run):
`calendar` (pure time arithmetic), `config` (the validated settings),
`meeting` and `chat` (the pure meeting domain; the chat networks), `runtime`
(events and clock ticks into stored effects and queued posts) and `cli`
(entry point and wiring). `handlers/` sit between `runtime` and `cli`.
"""
