"""`[teams]` and groups in Teams channels: keys, people by e-mail, refusals."""

from pathlib import Path

import pytest

from bot.config import ConfigError, load_config

APP_ID = "11111111-2222-3333-4444-555555555555"
TENANT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
TEAMS = f"""
[teams]
app_id = "{APP_ID}"
app_password = "teams-s3cret"
tenant_id = "{TENANT}"
public_url = "https://allies-bot.example.org/"

[[groups]]
id = "allies"
teams_conversation = "19:abc@thread.tacv2"
chairs = ["Chair@University.example"]
[groups.names]
"vice@university.example" = "Vice Chair"
[[groups.members]]
user = "member@university.example"
alliance = "FORTHEM"
"""
ANONYMOUS = """
[teams]
allow_anonymous = true

[[groups]]
id = "allies"
teams_conversation = "19:abc@thread.tacv2"
"""
MATRIX_GROUP = """
[matrix]
homeserver = "https://matrix.example.org"
user_id = "@allies-bot:example.org"
password = "pw"

[[groups]]
id = "matrix-group"
room = "!room:example.org"
"""


def load(tmp_path: Path, text: str, environ: dict | None = None):
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_config(path, environ=environ or {})


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value.problems


def test_a_teams_group_needs_no_matrix_table_and_people_are_lower_cased(tmp_path):
    config = load(tmp_path, TEAMS)
    assert config.matrix is None
    assert config.teams.app_id == APP_ID
    assert config.teams.public_url == "https://allies-bot.example.org"
    assert not config.teams.anonymous
    group = config.groups[0]
    assert (group.network, group.room) == ("teams", "19:abc@thread.tacv2")
    assert group.chairs == ("chair@university.example",)
    assert group.alliance_of("member@university.example") == "FORTHEM"
    assert group.names == {"vice@university.example": "Vice Chair"}
    assert config.groups_on("teams") == (group,)
    assert config.groups_on("matrix") == ()


def test_the_password_comes_from_the_environment_first_and_never_shows(tmp_path):
    config = load(tmp_path, TEAMS, {"ALLIES_BOT_TEAMS_APP_PASSWORD": "from-env"})
    assert config.teams.app_password == "from-env"
    assert "from-env" not in repr(config) and "teams-s3cret" not in repr(config)


def test_matrix_and_teams_groups_side_by_side(tmp_path):
    config = load(tmp_path, TEAMS + MATRIX_GROUP)
    assert [g.network for g in config.groups] == ["teams", "matrix"]
    assert config.matrix is not None and config.teams is not None


def test_a_matrix_group_still_needs_matrix_and_a_teams_group_needs_teams(tmp_path):
    matrix_only_group = MATRIX_GROUP.split("[[groups]]")[1]
    assert "matrix: missing [matrix] table (needed to run on Matrix)" in problems(
        tmp_path, "[[groups]]" + matrix_only_group
    )
    teams_only_group = TEAMS.split("[[groups]]", 1)[1]
    assert "teams: missing [teams] table (needed to run in Microsoft Teams)" in problems(
        tmp_path, "[[groups]]" + teams_only_group
    )


def test_every_broken_teams_key_is_named(tmp_path):
    bad = (
        TEAMS.replace(APP_ID, "not-a-guid")
        .replace(TENANT, "x")
        .replace('app_password = "teams-s3cret"', "port = 99999\nhots = 1")
        .replace("https://allies-bot.example.org/", "ftp://x")
    )
    found = problems(tmp_path, bad)
    for key in ("app_id", "tenant_id", "app_password", "port", "hots", "public_url"):
        assert any(p.startswith(f"teams.{key}:") for p in found), (key, found)


def test_people_in_a_teams_group_must_be_e_mail_addresses(tmp_path):
    found = problems(tmp_path, TEAMS.replace("member@university.example", "@member:example.org"))
    assert found == [
        "groups[0].members[0].user: '@member:example.org' is not an e-mail address or UPN "
        "like name@university.example"
    ]


def test_a_group_meets_in_one_place(tmp_path):
    both = TEAMS.replace(
        'teams_conversation = "19', 'room = "!r:example.org"\nteams_conversation = "19'
    )
    assert any("has both room and teams_conversation" in p for p in problems(tmp_path, both))
    thread = TEAMS.replace("@thread.tacv2", "@thread.tacv2;messageid=1")
    assert any(p.startswith("groups[0].teams_conversation:") for p in problems(tmp_path, thread))


def test_anonymous_mode_on_loopback_needs_no_app(tmp_path):
    config = load(tmp_path, ANONYMOUS)
    assert config.teams.anonymous and config.teams.app_id is None
    assert config.teams.public_url == "http://127.0.0.1:3978"


def test_anonymous_mode_is_refused_with_an_app_id_or_off_loopback(tmp_path):
    with_app = ANONYMOUS.replace(
        "allow_anonymous = true", f'allow_anonymous = true\napp_id = "{APP_ID}"'
    )
    assert any(
        p.startswith("teams.allow_anonymous: true is only") for p in problems(tmp_path, with_app)
    )
    public = ANONYMOUS.replace("allow_anonymous = true", 'allow_anonymous = true\nhost = "0.0.0.0"')
    assert any("needs a loopback host" in p for p in problems(tmp_path, public))


def test_a_registered_bot_states_an_https_public_url(tmp_path):
    missing = TEAMS.replace('public_url = "https://allies-bot.example.org/"\n', "")
    assert "teams.public_url: missing (required)" in problems(tmp_path, missing)
    plain = TEAMS.replace("https://allies-bot.example.org/", "http://allies-bot.example.org")
    assert any(p.startswith("teams.public_url:") for p in problems(tmp_path, plain))


def test_a_sub_group_meets_on_its_parents_network(tmp_path):
    sub = """
[[groups]]
id = "sub"
room = "!sub:example.org"
parent = "allies"
"""
    found = problems(tmp_path, TEAMS + MATRIX_GROUP + sub)
    assert any(p.startswith("groups[2].parent: 'allies' meets on teams") for p in found), found
