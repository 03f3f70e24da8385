"""The pure parts of encrypted-room support: config, event building, once-only
notices, the trust policy (on a fake nio client)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from bot.chat.matrix.crypto import Crypto
from bot.chat.matrix.events import file_content, undecryptable_incoming
from bot.chat.matrix.signing import SigningKey
from bot.chat.matrix.trust import MemberIdentity, TrustStore, identities_from
from bot.chat.transport import Incoming, IncomingKind, Outgoing, OutgoingFile
from bot.config import ConfigError, load_config
from tests.unit.fakes import ROOM
from tests.unit.test_config import GOOD, write

BOT = "@bot:example.org"
KEYS = {
    "v": "v2",
    "key": {"kty": "oct", "alg": "A256CTR", "ext": True, "k": "abc", "key_ops": ["decrypt"]},
    "iv": "AAAAAAAAAAAAAAAAAAAAAA",
    "hashes": {"sha256": "h4sh"},
}


def test_trust_defaults_to_cross_signing_and_keeps_the_old_names(tmp_path):
    assert load_config(write(tmp_path, GOOD), environ={}).matrix.trust == "cross-signing"
    for value, mode in [
        ("cross-signed-only", "cross-signed-only"),
        ("operator-verified", "operator-verified"),
        ("verified", "operator-verified"),
        ("tofu", "cross-signing"),
    ]:
        text = GOOD.replace('password = "s3cret-pass"', f'password = "x"\ntrust = "{value}"')
        assert load_config(write(tmp_path, text), environ={}).matrix.trust == mode


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"paranoid"', "matrix.trust: 'paranoid' is not a trust policy; use \"cross-signing\""),
        ('"TOFU"', "matrix.trust: 'TOFU' is not a trust policy"),
        ("true", "matrix.trust: must be a non-empty string"),
    ],
)
def test_unknown_trust_policy_is_reported_naming_the_key(tmp_path, value, expected):
    text = GOOD.replace('password = "s3cret-pass"', f'password = "x"\ntrust = {value}')
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text), environ={})
    assert len(caught.value.problems) == 1
    assert caught.value.problems[0].startswith(expected)


def outgoing_file(reply_to: str | None = "$cmd") -> Outgoing:
    data = b"BEGIN:VCALENDAR"
    file = OutgoingFile("allies.ics", "text/calendar", data)
    return Outgoing(ROOM, "allies.ics", "", reply_to=reply_to, file=file)


def test_file_in_a_clear_room_has_a_plain_url():
    content = file_content(outgoing_file(), "mxc://hs/plain")
    assert content["url"] == "mxc://hs/plain" and "file" not in content
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}


def test_file_in_an_encrypted_room_carries_its_key_instead_of_a_url():
    content = file_content(outgoing_file(), "mxc://hs/cipher", KEYS)
    assert "url" not in content
    assert content["file"] == {"url": "mxc://hs/cipher", "mimetype": "text/calendar", **KEYS}
    assert content["info"] == {"mimetype": "text/calendar", "size": 15}
    assert content["msgtype"] == "m.file" and content["m.mentions"] == {}
    assert content["m.relates_to"] == {"m.in_reply_to": {"event_id": "$cmd"}}


def encrypted(sender="@anna:example.org", session="S1", event_id="$x1", room=ROOM):
    source = {
        "type": "m.room.encrypted",
        "sender": sender,
        "event_id": event_id,
        "origin_server_ts": 1_767_225_600_000,
        "content": {"algorithm": "m.megolm.v1.aes-sha2", "session_id": session},
    }
    return undecryptable_incoming(source, room, BOT, "BOTDEVICE")


def test_undecryptable_notice_is_counted_per_room_sender_and_session():
    first = encrypted()
    assert first.kind is IncomingKind.UNREADABLE and first.event_id == "$x1"
    assert "`BOTDEVICE`" in first.body and first.body.startswith("I could not decrypt")
    assert encrypted(event_id="$x2").once_key == first.once_key
    others = [encrypted(session="S2"), encrypted(sender="@bo:example.org"), encrypted(room="!o:x")]
    assert first.once_key not in {o.once_key for o in others}
    assert len(f"undecryptable:{first.once_key}") <= 64  # fits bot_state.key
    assert encrypted(sender=BOT) is None


async def test_core_tells_the_sender_once_and_can_still_answer_the_message(harness):
    notice = encrypted(event_id="$x1")
    [sent] = await harness.deliver(notice)
    assert sent.body.startswith("I could not decrypt") and sent.reply_to == "$x1"
    assert sent.mentions == ("@anna:example.org",)
    assert await harness.deliver(encrypted(event_id="$x2")) == []
    assert await harness.deliver(notice) == []
    # its key arrived after all: the same event, now readable, is answered
    [answer] = await harness.say("@anna:example.org", "!update decrypted at last", "$x1")
    assert answer.body.startswith("Thanks, your update for FORTHEM is recorded for ")


@dataclass
class FakeDevice:
    user_id: str
    id: str
    verified: bool = False
    blacklisted: bool = False
    ed25519: str = "fingerprint"
    curve25519: str = "curve"


@dataclass
class FakeClient:
    """nio's device-trust calls, on plain objects: the policy is what is tested."""

    devices: list[FakeDevice]
    rooms: dict = field(default_factory=dict)
    user_id: str = BOT
    device_id: str = "BOTDEVICE"

    def __post_init__(self) -> None:
        users = {d.user_id: None for d in self.devices if d.user_id != "@eve:x"}
        self.rooms = {ROOM: SimpleNamespace(encrypted=True, users=users)}
        self.rooms["!clear:x"] = SimpleNamespace(encrypted=False, users={"@eve:x": None})
        self.device_store = SimpleNamespace(active_user_devices=self._of)
        self.olm = SimpleNamespace(outbound_group_sessions={ROOM: "current room key"})

    def _of(self, user: str) -> list[FakeDevice]:
        return [d for d in self.devices if d.user_id == user]

    def verify_device(self, device: FakeDevice) -> bool:
        changed = not device.verified
        device.verified, device.blacklisted = True, False
        return changed

    def unverify_device(self, device: FakeDevice) -> bool:
        changed, device.verified = device.verified, False
        return changed

    def blacklist_device(self, device: FakeDevice) -> bool:
        changed = not device.blacklisted
        device.verified, device.blacklisted = False, True
        return changed

    def unblacklist_device(self, device: FakeDevice) -> bool:
        changed, device.blacklisted = device.blacklisted, False
        return changed


def devices() -> list[FakeDevice]:
    return [
        FakeDevice("@anna:example.org", "PHONE"),
        FakeDevice("@anna:example.org", "LAPTOP", verified=True),
        FakeDevice("@bo:example.org", "OLD", blacklisted=True),
        FakeDevice(BOT, "BOTDEVICE"),
        FakeDevice("@eve:x", "EVE"),  # only in a clear room
    ]


def states(client: FakeClient) -> dict[str, tuple[bool, bool]]:
    return {d.id: (d.verified, d.blacklisted) for d in client.devices}


def without_identities(crypto: Crypto, *users: str) -> Crypto:
    """As after a key query that found no cross-signing for these members."""
    for user in users or ("@anna:example.org", "@bo:example.org"):
        crypto.devices.identities[user] = None
    return crypto


def test_members_without_cross_signing_are_trusted_on_first_use_only(tmp_path):
    client = FakeClient(devices())
    without_identities(Crypto(client, "cross-signing", tmp_path)).apply_policy([ROOM, "!clear:x"])
    state = states(client)
    assert state["PHONE"] == (True, False) and state["LAPTOP"] == (True, False)
    assert state["OLD"] == (False, True) and state["BOTDEVICE"] == (False, False)
    assert state["EVE"] == (False, False)


def test_cross_signed_only_refuses_members_without_cross_signing(tmp_path):
    client = FakeClient(devices())
    without_identities(Crypto(client, "cross-signed-only", tmp_path)).apply_policy([ROOM])
    assert states(client)["PHONE"] == (False, True) == states(client)["LAPTOP"]


def test_signed_devices_are_trusted_unsigned_ones_refused_and_the_identity_pinned(tmp_path):
    client = FakeClient(devices())
    crypto = Crypto(client, "cross-signing", tmp_path)
    crypto.devices.identities["@anna:example.org"] = MemberIdentity(
        "MASTER1", {"PHONE": "fingerprint"}
    )
    crypto.apply_policy([ROOM])
    assert states(client)["PHONE"] == (True, False)
    assert states(client)["LAPTOP"] == (False, True)  # trusted before, not signed by Anna
    assert TrustStore(tmp_path).pinned == {"@anna:example.org": "MASTER1"}
    # Anna verifies her laptop in Element: it gets the next room key
    crypto.devices.identities["@anna:example.org"] = MemberIdentity(
        "MASTER1", {"PHONE": "fingerprint", "LAPTOP": "fingerprint"}
    )
    crypto.apply_policy([ROOM])
    assert states(client)["LAPTOP"] == (True, False)
    assert ROOM not in client.olm.outbound_group_sessions


def test_a_changed_identity_is_refused_until_an_operator_accepts_it(tmp_path):
    client = FakeClient(devices())
    crypto = Crypto(client, "cross-signing", tmp_path)
    anna = "@anna:example.org"
    crypto.devices.identities[anna] = MemberIdentity("MASTER1", {"PHONE": "fingerprint"})
    crypto.apply_policy([ROOM])
    crypto.devices.identities[anna] = MemberIdentity("MASTER2", {"PHONE": "fingerprint"})
    crypto.apply_policy([ROOM])
    assert states(client)["PHONE"] == (False, True)
    message = SimpleNamespace(decrypted=True, verified=False, session_id="S", sender=anna)
    assert crypto.refuses(message)
    assert TrustStore(tmp_path).accept(anna) == "MASTER2"
    accepted = Crypto(client, "cross-signing", tmp_path)  # the next start reads the file
    accepted.devices.identities[anna] = MemberIdentity("MASTER2", {"PHONE": "fingerprint"})
    accepted.apply_policy([ROOM])
    assert states(client)["PHONE"] == (True, False)
    assert not accepted.refuses(message)


def test_an_operator_block_beats_a_signature(tmp_path):
    client = FakeClient(devices())
    TrustStore(tmp_path).block("@anna:example.org", "PHONE")
    crypto = Crypto(client, "cross-signing", tmp_path)
    crypto.devices.identities["@anna:example.org"] = MemberIdentity("M", {"PHONE": "fingerprint"})
    crypto.apply_policy([ROOM])
    assert states(client)["PHONE"] == (False, True)


ANNA = "@anna:example.org"


def key_object(usage: str, k: SigningKey, user: str = ANNA) -> dict:
    return {"user_id": user, "usage": [usage], "keys": {f"ed25519:{k.public}": k.public}}


def signed(obj: dict, by: SigningKey) -> dict:
    return {**obj, "signatures": {ANNA: {f"ed25519:{by.public}": by.sign(obj)}}}


def device_object(device_id: str, ed25519: str = "x") -> dict:
    return {"user_id": ANNA, "device_id": device_id, "keys": {f"ed25519:{device_id}": ed25519}}


def test_identities_are_read_from_a_valid_signature_chain_only():
    master, ssk, stranger = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    answer = {
        "master_keys": {ANNA: key_object("master", master)},
        "self_signing_keys": {ANNA: signed(key_object("self_signing", ssk), master)},
        "device_keys": {
            ANNA: {
                "PHONE": signed(device_object("PHONE"), ssk),
                "LAPTOP": signed(device_object("LAPTOP"), stranger),
            }
        },
    }
    assert identities_from(answer) == {ANNA: MemberIdentity(master.public, {"PHONE": "x"})}
    forged = {
        **answer,
        "self_signing_keys": {ANNA: signed(key_object("self_signing", ssk), stranger)},
    }
    assert identities_from(forged) == {ANNA: MemberIdentity(master.public, {})}


def test_signatures_cannot_be_borrowed_across_devices_users_or_key_purposes():
    master, ssk, usk = SigningKey.generate(), SigningKey.generate(), SigningKey.generate()
    phone = signed(device_object("PHONE"), ssk)
    base = {
        "master_keys": {ANNA: key_object("master", master)},
        "self_signing_keys": {ANNA: signed(key_object("self_signing", ssk), master)},
    }
    # PHONE's signed keys filed under another device id sign nothing
    moved = {**base, "device_keys": {ANNA: {"EVIL": phone}}}
    assert identities_from(moved)[ANNA].signed_devices == {}
    # the user-signing key does not pass for the self-signing key
    usk_as_ssk = {
        **base,
        "self_signing_keys": {ANNA: signed(key_object("user_signing", usk), master)},
    }
    usk_as_ssk["device_keys"] = {ANNA: {"PHONE": signed(device_object("PHONE"), usk)}}
    assert identities_from(usk_as_ssk)[ANNA].signed_devices == {}
    # a master key object of someone else is no identity of Anna's
    assert identities_from({"master_keys": {ANNA: key_object("master", master, "@eve:x")}}) == {}


@pytest.mark.parametrize(
    "junk",
    [
        {"master_keys": {ANNA: "nonsense"}},
        {"master_keys": {ANNA: {"user_id": ANNA, "usage": ["master"], "keys": []}}},
        {"master_keys": [], "device_keys": "x"},
        {"self_signing_keys": {ANNA: {"signatures": "x"}}, "master_keys": {}},
    ],
)
def test_malformed_key_objects_are_no_identity_and_raise_nothing(junk):
    assert identities_from(junk) == {}


def test_the_signed_key_must_be_the_key_nio_holds_for_the_device(tmp_path):
    client = FakeClient(devices())
    crypto = Crypto(client, "cross-signing", tmp_path)
    crypto.devices.identities[ANNA] = MemberIdentity("M", {"PHONE": "another key"})
    crypto.apply_policy([ROOM])
    assert states(client)["PHONE"] == (False, True)


def test_an_unknown_identity_decides_nothing_and_a_lost_one_is_a_downgrade(tmp_path):
    client = FakeClient(devices())
    crypto = Crypto(client, "cross-signing", tmp_path)
    crypto.apply_policy([ROOM])  # the key query has not answered yet
    assert states(client)["PHONE"] == (False, False)
    crypto.devices.identities[ANNA] = MemberIdentity("M", {"PHONE": "fingerprint"})
    crypto.apply_policy([ROOM])
    assert states(client)["PHONE"] == (True, False)
    crypto.devices.identities[ANNA] = None  # the server now shows no identity at all
    crypto.apply_policy([ROOM])
    assert states(client)["PHONE"] == (False, True)


def test_a_refused_device_gets_a_new_room_key_and_is_not_listened_to(tmp_path):
    client = FakeClient(devices())
    crypto = Crypto(client, "cross-signing", tmp_path)
    both = {"PHONE": "fingerprint", "LAPTOP": "fingerprint"}
    crypto.devices.identities[ANNA] = MemberIdentity("M", both)
    crypto.apply_policy([ROOM])
    assert states(client)["LAPTOP"] == (True, False)
    client.olm.outbound_group_sessions[ROOM] = "a key the laptop may hold"
    laptop = next(d for d in client.devices if d.id == "LAPTOP")
    laptop.curve25519 = "laptop-curve"
    crypto.devices.identities[ANNA] = MemberIdentity("M", {"PHONE": "fingerprint"})
    crypto.apply_policy([ROOM])
    assert states(client)["LAPTOP"] == (False, True)
    assert ROOM not in client.olm.outbound_group_sessions
    from_laptop = SimpleNamespace(
        decrypted=True, verified=False, session_id="L", sender=ANNA, sender_key="laptop-curve"
    )
    assert crypto.refuses(from_laptop)


def test_operator_verified_policy_refuses_unverified_devices_keys_and_commands(tmp_path):
    client = FakeClient(devices())
    crypto = Crypto(client, "operator-verified", tmp_path)
    crypto.apply_policy([ROOM])
    state = states(client)
    assert state["PHONE"] == (False, True) and state["LAPTOP"] == (True, False)
    assert not crypto.ignore_unverified
    unverified = SimpleNamespace(decrypted=True, verified=False, session_id="S", event_id="$e")
    verified = SimpleNamespace(decrypted=True, verified=True, session_id="S", event_id="$f")
    clear = SimpleNamespace(source={})
    assert crypto.refuses(unverified) and not crypto.refuses(verified)
    assert not crypto.refuses(clear)
    assert not Crypto(client, "cross-signing", tmp_path).refuses(unverified)


def test_incoming_kinds_stay_network_neutral():
    kinds = {"message", "edit", "redaction", "unreadable", "profile"}
    assert {k.value for k in IncomingKind} == kinds
    assert Incoming.__dataclass_fields__["once_key"].default is None
