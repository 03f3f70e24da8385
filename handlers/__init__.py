"""Command handlers, one module per command family, each with `register(router)`."""

from bot.runtime.router import Router
from handlers import (
    actions,
    agenda,
    calendar_admin,
    live,
    minutes,
    outputs,
    privacy,
    report,
    schedule,
    subgroups,
    updates,
    web,
)
from handlers import help as help_commands


def build_router() -> Router:
    """The router with every command family registered."""
    router = Router()
    families = (
        help_commands,
        updates,
        schedule,
        agenda,
        calendar_admin,
        live,
        actions,
        outputs,
        subgroups,
        minutes,
        report,
        privacy,
        web,
    )
    for family in families:
        family.register(router)
    return router
