"""`[web]`, `[email]`, `[email.inbound]` and the addresses on the roster: what a
good config gives the bot, and one clear line per mistake."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_config

GROUP = """
[[groups]]
id = "allies"
room = "!allies:example.org"
chairs = ["@chair:example.org"]
email = "ALLIES@lists.example.org"
[[groups.members]]
user = "@anna:example.org"
alliance = "FORTHEM"
email = "Anna@Uni.example"
[[groups.members]]
user = "@bo:example.org"
alliance = "CIVIS"
"""
GOOD = (
    """
[web]
listen = "127.0.0.1:8080"
public_url = "https://bot.example.org/"
[email]
host = "smtp.example.org"
username = "bot"
from = "ALLIES bot <Bot@Example.org>"
[email.inbound]
host = "imap.example.org"
user = "bot"
address = "bot@example.org"
"""
    + GROUP
)
ENV = {"ALLIES_BOT_SMTP_PASSWORD": "s", "ALLIES_BOT_IMAP_PASSWORD": "i"}


def load(tmp_path, text: str, environ: dict[str, str] | None = None):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path, ENV if environ is None else environ, require_matrix=False)


def problems(tmp_path, text: str, environ: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, environ)
    return caught.value.problems


def test_a_good_config_reads_addresses_ports_and_defaults(tmp_path):
    config = load(tmp_path, GOOD)
    assert config.web.public_url == "https://bot.example.org" and config.web.feed_months_ahead == 18
    email = config.email
    assert (email.port, email.security, email.password) == (587, "starttls", "s")
    assert email.sender == "ALLIES bot <bot@example.org>" and email.domain == "example.org"
    inbound = email.inbound
    assert (inbound.port, inbound.security, inbound.folder) == (993, "tls", "INBOX")
    assert inbound.reply_address("abc") == "bot+abc@example.org"
    group = config.groups[0]
    assert group.email == "allies@lists.example.org"
    assert group.mail_address_of("@anna:example.org") == "anna@uni.example"
    assert group.mail_address_of("@bo:example.org") is None


def test_each_mistake_is_one_line_naming_its_key(tmp_path):
    text = (
        GOOD.replace('public_url = "https://bot.example.org/"', 'public_url = "http://bot.org"')
        .replace('host = "smtp.example.org"', 'host = "smtp.example.org"\nport = 99999')
        .replace('from = "ALLIES bot <Bot@Example.org>"', 'from = "nobody"\nsecurity = "ssl"')
        .replace('address = "bot@example.org"', 'address = "bot+x@example.org"\npassword = "p"')
        .replace('email = "Anna@Uni.example"', 'email = "anna at uni"')
    )
    found = problems(tmp_path, text)
    for key, words in [
        ("web.public_url", "must use https"),
        ("email.port", "must be a port number"),
        ("email.security", "must be one of starttls, tls, none"),
        ("email.from", "must be like"),
        ("email.inbound.address", "must not contain '+'"),
        ("email.inbound.password", "set ALLIES_BOT_IMAP_PASSWORD in the environment"),
        ("groups[0].members[0].email", "is not an e-mail address"),
    ]:
        assert any(line.startswith(key) and words in line for line in found), (key, found)


def test_missing_secrets_web_and_a_shared_port(tmp_path):
    found = problems(tmp_path, GOOD, environ={})
    assert any("ALLIES_BOT_SMTP_PASSWORD is not in the environment" in p for p in found)
    assert any("ALLIES_BOT_IMAP_PASSWORD is not in the environment" in p for p in found)
    without_web = GOOD.split("[email]", 1)[1]
    assert "email: needs [web] too" in " ".join(problems(tmp_path, "[email]" + without_web))
    shared = GOOD.replace("[web]", '[ops]\nlisten = "127.0.0.1:8080"\n[web]')
    assert any(p.startswith("web.listen: must differ") for p in problems(tmp_path, shared))
    starttls = GOOD.replace(
        'address = "bot@example.org"', 'address = "bot@example.org"\nsecurity = "starttls"'
    )
    assert any(
        "email.inbound.security: must be one of tls, none" in p
        for p in problems(tmp_path, starttls)
    )


def test_a_teams_member_is_mailed_at_their_id_unless_an_email_says_otherwise(tmp_path):
    teams = GOOD.replace(
        'room = "!allies:example.org"', 'teams_conversation = "19:abc@thread.tacv2"'
    )
    teams = teams.replace('"@chair:example.org"', '"chair@uni.example"')
    teams = teams.replace('user = "@anna:example.org"', 'user = "Anna@Uni.example"')
    teams = teams.replace('email = "Anna@Uni.example"', 'email = "anna.private@uni.example"')
    teams = teams.replace('user = "@bo:example.org"', 'user = "bo@civis.example"')
    group = load(tmp_path, teams).groups[0]
    assert group.mail_address_of("anna@uni.example") == "anna.private@uni.example"
    assert group.mail_address_of("bo@civis.example") == "bo@civis.example"
