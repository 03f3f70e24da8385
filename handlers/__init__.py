"""Command handlers, one module per command family, each with `register(router)`."""

from bot.router import Router
from handlers import agenda, calendar_admin, schedule, updates
from handlers import help as help_commands


def build_router() -> Router:
    """The router with every command family registered."""
    router = Router()
    for family in (help_commands, updates, schedule, agenda, calendar_admin):
        family.register(router)
    return router
