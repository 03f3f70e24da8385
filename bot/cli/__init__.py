"""The `allies-bot` command: argument parsing, logging set-up, the wiring of
storage, core, scheduler and transports (`app.py`), and the calendar and
minutes commands run from a shell."""
