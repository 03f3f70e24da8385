"""What the bot's own HTTP server shows besides the messaging endpoint: the
files behind the links it posts, and the privacy notice its Teams app links to."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from bot.chat.teams.files import FileShelf
from bot.config.privacy import PrivacyConfig

SAFE = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def file_download(shelf: FileShelf, token: str, name: str) -> web.StreamResponse:
    """The file, only with its token and its own name; 404 for anything else."""
    stored = shelf.get(token)
    if stored is None or quote(stored.name) != quote(name):
        return web.Response(status=404, text="no such file (or the link has expired)")
    headers = {
        **SAFE,
        "Content-Type": stored.mimetype or "application/octet-stream",
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(stored.name)}",
    }
    return web.FileResponse(stored.path, headers=headers)


def privacy_page(privacy: PrivacyConfig) -> web.Response:
    contact = privacy.contact or "the group's chairs"
    text = (
        f"{privacy.notice}\n\nRetention: {privacy.retention.words}.\n"
        f"Questions and requests: {contact}.\n"
    )
    return web.Response(text=text, headers=SAFE)
