"""The reply mailbox over IMAP (aioimaplib): read what arrived, move what was
read to the processed folder, wait for more.

Everything in the watched folder is new by construction: a mail leaves it
only once its outcome is recorded (`bot.runtime.mail_inbox`), so a crash
in between means it is read again, and the outcome's record (keyed by its
Message-ID) makes that harmless. Nothing is deleted: MOVE where the server
has it, else COPY and then flag the original `\\Deleted` and expunge it,
which is what MOVE is (RFC 6851).

Waiting uses IDLE (RFC 2177) when the server offers it, re-issued before
the 29 minutes servers allow, and plain polling otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re

import aioimaplib

from bot.config.email import InboundConfig
from bot.mail.smtp import tls_context

log = logging.getLogger(__name__)
TIMEOUT_S = 30.0
BATCH = 25
IDLE_S = 25 * 60.0
_FETCH = re.compile(rb"FETCH \(.*UID (\d+)")


class MailboxError(Exception):
    """The server refused a step (login, select, move): the reader restarts."""


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    def __init__(self, config: InboundConfig, ca_file: str | None = None) -> None:
        self.config = config
        self.ca_file = ca_file
        self.client: aioimaplib.IMAP4 | None = None

    async def open(self) -> None:
        config = self.config
        if config.security == "tls":
            client = aioimaplib.IMAP4_SSL(
                config.host, config.port, timeout=TIMEOUT_S, ssl_context=tls_context(self.ca_file)
            )
        else:
            client = aioimaplib.IMAP4(config.host, config.port, timeout=TIMEOUT_S)
        await client.wait_hello_from_server()
        _ok(await client.login(config.user, config.password), "login")
        await asyncio.wait_for(client.protocol.capability(), TIMEOUT_S)  # some list MOVE only now
        created = await client.create(_quoted(config.processed_folder))
        if created.result != "OK":
            log.debug("processed folder exists already (%s)", created.result)
        _ok(await client.select(_quoted(config.folder)), f"select {config.folder}")
        self.client = client

    async def close(self) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.logout()
            self.client = None

    async def waiting(self) -> list[tuple[str, bytes]]:
        """(uid, raw mail) of up to BATCH mails in the folder, oldest first."""
        client = self._client()
        found = await _timed(client.uid_search("ALL", charset=None))
        _ok(found, "search")
        uids = found.lines[0].split()[:BATCH] if found.lines else []
        mails = []
        for uid in uids:
            fetched = await _timed(client.uid("fetch", uid.decode(), "(UID BODY.PEEK[])"))
            _ok(fetched, "fetch")
            raw = next((bytes(p) for p in fetched.lines if isinstance(p, bytearray)), None)
            if raw is not None:
                mails.append((uid.decode(), raw))
        return mails

    async def move_to_processed(self, uid: str) -> None:
        client = self._client()
        target = _quoted(self.config.processed_folder)
        if client.has_capability("MOVE"):
            _ok(await _timed(client.uid("move", uid, target)), "move")
            return
        _ok(await _timed(client.uid("copy", uid, target)), "copy")
        _ok(await _timed(client.uid("store", uid, "+FLAGS.SILENT", r"(\Deleted)")), "store")
        if client.has_capability("UIDPLUS"):
            _ok(await _timed(client.uid("expunge", uid)), "expunge")
        else:  # only our own \Deleted mails are in the folder: expunging them all is the same
            _ok(await _timed(client.expunge()), "expunge")

    async def wait_for_news(self, poll_seconds: float) -> None:
        """Until the server says something arrived (IDLE; a fresh look after five
        poll intervals anyway), or poll_seconds pass (no IDLE)."""
        client = self._client()
        if not client.has_capability("IDLE"):
            await asyncio.sleep(poll_seconds)
            return
        idle = await client.idle_start(timeout=IDLE_S)
        try:
            with contextlib.suppress(TimeoutError):
                await client.wait_server_push(timeout=min(IDLE_S, poll_seconds * 5))
        finally:
            client.idle_done()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(idle, TIMEOUT_S)

    def _client(self) -> aioimaplib.IMAP4:
        if self.client is None:
            raise MailboxError("not connected")
        return self.client


async def _timed(step):
    """aioimaplib puts no timeout on some commands (UID MOVE, COPY, STORE): a
    stalled server must end in an error the supervisor restarts from."""
    return await asyncio.wait_for(step, TIMEOUT_S)


def _ok(response, step: str) -> None:
    if response.result != "OK":
        raise MailboxError(f"IMAP {step}: {response.result}")
