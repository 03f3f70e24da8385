"""One patch of matrix-nio: Megolm events without `sender_key` and `device_id`.

Since Matrix v1.3 (MSC3700) both fields of an `m.megolm.v1.aes-sha2` event
are deprecated, and clients on the Rust crypto stack (Element's) may leave
them out. nio 0.26 requires both in its event schema and looks the room key
up by `sender_key`, so such an event stays an undecryptable `UnknownBadEvent`
although the bot holds its key (nio issue #466).

What the patch does, and nothing else:
- parsing: a Megolm event missing either field is parsed as a `MegolmEvent`
  with the field empty (`""`); `event.source` stays the event as received;
- decryption: for an event with no `sender_key`, the room key is found by
  room and session id alone, its sender key is the one stored with the room
  key, and the sending device is the member's device whose Ed25519 key signed
  the room key. Then nio's own decryption and device checks run unchanged;
  with no room key yet it is undecryptable, as nio reports it for others.

`apply()` is idempotent; the Matrix transport calls it at import.
"""

from __future__ import annotations

from typing import Any

from nio.crypto.olm_machine import Olm as OlmMachine
from nio.crypto.sessions import InboundGroupSession
from nio.events import Event, MegolmEvent
from nio.exceptions import EncryptionError

MEGOLM = "m.megolm.v1.aes-sha2"
DEPRECATED_FIELDS = ("sender_key", "device_id")
_APPLIED = "_allies_bot_patched"


def apply() -> None:
    """Install both halves of the patch into nio (once per process)."""
    if getattr(Event, _APPLIED, False):
        return
    _patch_parsing()
    _patch_decryption()
    setattr(Event, _APPLIED, True)


def _patch_parsing() -> None:
    original = Event.parse_encrypted_event.__func__  # type: ignore[attr-defined]

    def parse_encrypted_event(cls: type[Event], event_dict: dict[str, Any]) -> Any:
        content = event_dict.get("content")
        if not _lacks_deprecated_fields(content):
            return original(cls, event_dict)
        filled = {**event_dict, "content": {**dict.fromkeys(DEPRECATED_FIELDS, ""), **content}}
        event = original(cls, filled)
        if isinstance(event, MegolmEvent):
            event.source = event_dict
        return event

    Event.parse_encrypted_event = classmethod(parse_encrypted_event)  # type: ignore[method-assign]


def _lacks_deprecated_fields(content: Any) -> bool:
    return (
        isinstance(content, dict)
        and content.get("algorithm") == MEGOLM
        and any(name not in content for name in DEPRECATED_FIELDS)
    )


def _patch_decryption() -> None:
    original = OlmMachine.decrypt_megolm_event

    def decrypt_megolm_event(
        self: OlmMachine, event: MegolmEvent, room_id: str | None = None
    ) -> Any:
        if not event.sender_key:
            _fill_in_sender(self, event, room_id or event.room_id)
        if not event.sender_key:  # nio would fail an assertion, not report it
            raise EncryptionError(f"no room key for session {event.session_id} yet")
        return original(self, event, room_id)

    OlmMachine.decrypt_megolm_event = decrypt_megolm_event  # type: ignore[method-assign]


def _fill_in_sender(machine: OlmMachine, event: MegolmEvent, room_id: str) -> None:
    """Sender key and device from the stored room key; left empty when the
    bot has no key for this session yet (nio then reports it undecryptable)."""
    session = find_session(machine, room_id, event.session_id)
    if session is None:
        return
    event.sender_key = session.sender_key
    if not event.device_id:
        devices = machine.device_store.active_user_devices(event.sender)
        signer = next((d for d in devices if d.ed25519 == session.ed25519), None)
        if signer is not None:
            event.device_id = signer.id


def find_session(machine: OlmMachine, room_id: str, session_id: str) -> InboundGroupSession | None:
    """The room key with this session id in this room, whoever sent it."""
    for sessions in machine.inbound_group_store[room_id].values():
        if session_id in sessions:
            return sessions[session_id]
    return None
