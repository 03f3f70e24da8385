"""Who is behind a Teams id: the e-mail / UPN the config names people by.

An activity names its sender by a Teams id (`29:…`) and an Entra object id
only; the conversation-members API tells their e-mail address and UPN. The
bot asks once per person and remembers the answer: in memory by Teams id,
and in the database under the person's private-channel key (with their
personal chat, once there is one), so an erasure request removes it with
the rest of their data. A sender whose address no group lists is an
outsider, as on Matrix; one the API cannot place is named by the Teams id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace

from bot.chat.teams.connector import Connector
from bot.chat.teams.text import Mention
from bot.chat.transport import SendError, private_state_key
from bot.config import GroupConfig
from storage.db import Storage

log = logging.getLogger(__name__)
UNKNOWN_PREFIX = "teams:"


def people_of(groups: Iterable[GroupConfig]) -> set[str]:
    """Everyone the groups name: chairs, vice-chairs and the roster."""
    people: set[str] = set()
    for group in groups:
        people.update(group.chairs, group.vice_chairs, (m.user for m in group.members))
    return people


@dataclass(frozen=True)
class TeamsPerson:
    person: str  # the id the core uses: e-mail / UPN, lower-case
    teams_id: str
    name: str = ""
    aad_object_id: str = ""
    chat: str = ""  # the personal chat's conversation id, once opened
    service_url: str = ""  # where that chat is served

    def mention(self) -> Mention:
        return Mention(self.teams_id, self.name or self.person)


class TeamsPeople:
    def __init__(
        self, storage: Storage, connector: Connector, configured: Callable[[], Iterable[str]]
    ) -> None:
        self.storage = storage
        self.connector = connector
        self._configured = configured  # everyone the Teams groups name, as reloaded
        self._by_teams_id: dict[str, TeamsPerson] = {}
        # people no group lists (outsiders): kept for this run only, so an
        # answer can reach their personal chat, but never stored
        self._passing: dict[str, TeamsPerson] = {}

    async def sender(
        self, service_url: str, conversation: str, teams_id: str, aad_object_id: str, name: str
    ) -> TeamsPerson:
        """The person who sent an activity; asks Teams the first time. Raises
        `SendError` when Teams cannot answer now: a member must not be taken
        for an outsider because of an outage (Teams delivers again)."""
        known = self._by_teams_id.get(teams_id)
        if known is not None:
            return known
        try:
            account = await self.connector.member(service_url, conversation, teams_id)
        except SendError as exc:
            if not exc.permanent:  # Teams or Entra unreachable: try again, never guess
                raise
            log.warning("Teams does not know a sender (%s); treated as unknown", exc)
            return TeamsPerson(UNKNOWN_PREFIX + teams_id, teams_id, name, aad_object_id)
        person = self._person_id(account)
        found = TeamsPerson(
            person or UNKNOWN_PREFIX + teams_id,
            teams_id,
            getattr(account, "name", None) or name,
            getattr(account, "aad_object_id", None) or aad_object_id,
        )
        stored = await self.stored(found.person) if person else None
        if stored is not None:
            found = replace(found, chat=stored.chat, service_url=stored.service_url)
        await self.remember(found)  # members stored; an outsider for this run only
        return found

    def _person_id(self, account) -> str | None:
        """The configured address among the account's e-mail and UPN, else
        whichever it has (an outsider), lower-case."""
        extra = getattr(account, "model_extra", None) or {}
        candidates = [
            str(value).strip().lower()
            for value in (
                getattr(account, "email", None) or extra.get("email"),
                extra.get("userPrincipalName") or getattr(account, "user_principal_name", None),
            )
            if value
        ]
        configured = set(self._configured())
        for candidate in candidates:
            if candidate in configured:
                return candidate
        return candidates[0] if candidates else None

    async def stored(self, person: str) -> TeamsPerson | None:
        if person in self._passing:
            return self._passing[person]
        async with self.storage.transaction() as repo:
            raw = await repo.get_state(private_state_key(person))
        if not raw:
            return None
        try:
            return TeamsPerson(**json.loads(raw))
        except (TypeError, ValueError):
            return None

    async def remember(self, person: TeamsPerson) -> None:
        """Members in the database (erasure removes them with the rest);
        anyone else in memory only."""
        self._by_teams_id[person.teams_id] = person
        if person.person not in set(self._configured()):
            self._passing[person.person] = person
            return
        async with self.storage.transaction() as repo:
            await repo.set_state(private_state_key(person.person), json.dumps(asdict(person)))

    async def mentioned_in(self, activity) -> dict[str, str]:
        """Teams id -> person id of everyone but the bot a message mentions."""
        bot_id = activity.recipient.id if activity.recipient else ""
        found: dict[str, str] = {}
        for entity in activity.entities or ():
            data = entity.model_dump(by_alias=True)
            mentioned = data.get("mentioned") or {}
            teams_id = mentioned.get("id") if isinstance(mentioned, dict) else None
            if data.get("type") != "mention" or not teams_id or teams_id == bot_id:
                continue
            person = self.known(teams_id) or await self.sender(
                activity.service_url or "", activity.conversation.id, teams_id, "", ""
            )
            found[teams_id] = person.person
        return found

    def known(self, teams_id: str) -> TeamsPerson | None:
        return self._by_teams_id.get(teams_id)

    async def mention_for(self, person: str, service_url: str, conversation: str) -> Mention | None:
        """A Teams mention of a configured person; asks Teams for them by
        address when they have not spoken yet. None when Teams does not know them."""
        stored = await self.stored(person)
        if stored is not None:
            return stored.mention()
        try:
            accounts = await self.connector.members(service_url, conversation)
        except SendError as exc:
            log.info("cannot list the conversation's members (%s); named in plain text", exc)
            return None
        configured = set(self._configured())
        for account in accounts:  # remember every configured person at once
            address = self._person_id(account)
            if address in configured and await self.stored(address) is None:
                aad = getattr(account, "aad_object_id", None) or ""
                await self.remember(TeamsPerson(address, account.id, account.name or "", aad))
        found = await self.stored(person)
        return found.mention() if found is not None else None
