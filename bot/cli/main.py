"""`allies-bot run | check-config | console | schedule | ics | minutes | report | privacy`
and `devices`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import re
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

from bot.cli.logs import setup_logging
from bot.config import Config, ConfigError, load_config
from bot.meeting.render import plural

EXIT_CONFIG = 2


def _version() -> str:
    """The installed package's version (pyproject.toml's, one source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("allies-bot")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="allies-bot", description=__doc__)
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING (default INFO)")
    parser.add_argument("--version", action="version", version=f"allies-bot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (Matrix rooms and Teams channels)")
    run.add_argument("--config", required=True)
    check = sub.add_parser("check-config", help="validate a config file and summarise it")
    check.add_argument("--config", required=True)
    console = sub.add_parser("console", help="try the bot in the terminal, no homeserver needed")
    console.add_argument("--config", required=True)
    console.add_argument("--as", dest="as_user", help="the member you type as (default: first)")
    console.add_argument("--group", help="group id (default: the first group)")
    schedule = sub.add_parser("schedule", help="upcoming meetings, local time and UTC")
    schedule.add_argument("--config", required=True)
    schedule.add_argument("--group", help="only this group")
    schedule.add_argument("--from", dest="from_date", help="YYYY-MM-DD (default: now)")
    schedule.add_argument("--count", type=int, default=10, help="meetings that take place")
    schedule.add_argument("--json", action="store_true", help="a JSON list instead of text")
    ics = sub.add_parser("ics", help="the calendar as .ics on stdout")
    ics.add_argument("--config", required=True)
    ics.add_argument("--group", help="the group (needed when there are several)")
    feed = sub.add_parser("feed", help="a group's calendar feed link: show it, or replace it")
    feed.add_argument("action", choices=("show", "rotate"))
    feed.add_argument("--config", required=True)
    feed.add_argument("--group", help="the group (needed when there are several)")
    minutes = sub.add_parser("minutes", help="print a meeting's minutes")
    minutes.add_argument("--config", required=True)
    minutes.add_argument("--group", help="the group (needed when there are several)")
    minutes.add_argument("--meeting", help="the meeting's date, YYYY-MM-DD (default: latest)")
    minutes.add_argument("--format", choices=("md", "html"), default="md")
    report = sub.add_parser("report", help="the report to WP2 for a year or a period")
    report.add_argument("--config", required=True)
    report.add_argument("--group", help="the group (needed when there are several)")
    report.add_argument("--year", type=int, help="a calendar year (default: this year)")
    report.add_argument("--from", dest="from_date", help="first day, YYYY-MM-DD")
    report.add_argument("--to", dest="to_date", help="last day, YYYY-MM-DD")
    report.add_argument("--format", choices=("md", "html"), default="md")
    report.add_argument("--out", help="write to this file instead of stdout")
    privacy = sub.add_parser("privacy", help="a person's data: export a copy, or erase it")
    privacy.add_argument("action", choices=("export", "erase"))
    privacy.add_argument("--config", required=True)
    privacy.add_argument("--user", required=True, help="the person's user id, @name:server")
    privacy.add_argument("--out", help="export: write the JSON to this file")
    privacy.add_argument("--confirm", action="store_true", help="erase: yes, for good")
    backup = sub.add_parser("backup", help="database and data_dir into one archive, while running")
    backup.add_argument("--config", required=True)
    backup.add_argument("--out", required=True, help="the archive to write (.tar.gz, mode 0600)")
    restore = sub.add_parser("restore", help="put a backup back (the bot stopped)")
    restore.add_argument("--config", required=True)
    restore.add_argument("--from", dest="source", required=True, help="the archive")
    restore.add_argument("--force", action="store_true", help="replace existing data")
    package = sub.add_parser("teams-package", help="the Teams app package (.zip) to sideload")
    package.add_argument("--config", required=True)
    package.add_argument("--out", required=True, help="the zip to write, e.g. allies-bot.zip")
    package.add_argument(
        "--app-version", default="1.0.0", help="raise it for every update you upload (1.0.1 …)"
    )
    devices = sub.add_parser("devices", help="members' devices and their trust (bot stopped)")
    devices.add_argument("--config", required=True)
    devices.add_argument(
        "action",
        nargs="?",
        default="list",
        choices=("list", "verify", "block", "accept-identity", "reset-identity"),
    )
    devices.add_argument("user", nargs="?", help="the member's user id (verify, block, accept)")
    devices.add_argument("device", nargs="?", help="the device id (verify, block)")
    return parser


def _load(path: str, *, need_matrix: bool) -> Config:
    """Load or exit 2 with one line per problem."""
    try:
        return load_config(path, require_matrix=need_matrix)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        for warning in exc.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        also = f" and {plural(len(exc.warnings), 'warning')}" if exc.warnings else ""
        print(f"{plural(len(exc.problems), 'problem')}{also} in {path}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def _calendar_command(args: argparse.Namespace) -> int:
    from bot.cli import calendar_commands as cli_calendar

    config = _load(args.config, need_matrix=False)
    setup_logging("WARNING")
    try:
        if args.command == "schedule":
            output = asyncio.run(
                cli_calendar.schedule_command(
                    config, args.group, args.from_date, args.count, args.json
                )
            )
        elif args.command == "report":
            from bot.cli.report_command import report_command

            output = asyncio.run(
                report_command(
                    config, args.group, args.year, args.from_date, args.to_date, args.format
                )
            )
        elif args.command == "privacy":
            from bot.cli.privacy_command import privacy_command

            output = asyncio.run(privacy_command(config, args.action, args.user, args.confirm))
        elif args.command == "feed":
            from bot.cli.feed_command import feed_command

            output = asyncio.run(feed_command(config, args.group, args.action))
        elif args.command == "minutes":
            output = asyncio.run(
                cli_calendar.minutes_command(config, args.group, args.meeting, args.format)
            )
        else:
            output = asyncio.run(cli_calendar.ics_command(config, args.group))
    except cli_calendar.CliError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    output = output if output.endswith("\n") else output + "\n"
    if getattr(args, "out", None):
        try:
            with open(args.out, "w", encoding="utf-8") as out:
                out.write(output)
        except OSError as exc:
            print(f"--out: cannot write {args.out}: {exc.strerror}", file=sys.stderr)
            return EXIT_CONFIG
        print(f"wrote {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(output)
    return 0


def _devices_command(args: argparse.Namespace) -> int:
    from bot.chat.matrix.devices import DevicesError, devices_command

    config = _load(args.config, need_matrix=True)
    setup_logging("WARNING")
    try:
        print(devices_command(config, args.action, args.user, args.device))
    except DevicesError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    return 0


def _backup_command(args: argparse.Namespace) -> int:
    from pathlib import Path

    from storage.backup import BackupError, backup, restore, sqlite_path

    config = _load(args.config, need_matrix=False)
    storage = config.storage
    try:
        if args.command == "backup":
            manifest = backup(storage.url, storage.data_dir, Path(args.out))
            what = "the database and " if manifest["database"] else ""
            print(
                f"backup written to {args.out}: {what}"
                f"{plural(len(manifest['files']), 'file')} of data_dir"
            )
            if sqlite_path(storage.url) is None:
                print("PostgreSQL: back the database up with pg_dump (docs/operating.md)")
        else:
            manifest = restore(storage.url, storage.data_dir, Path(args.source), force=args.force)
            print(f"restored the backup of {manifest['created_at']}; start the bot")
    except (BackupError, OSError) as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    return 0


def _teams_package_command(args: argparse.Namespace) -> int:
    from bot.cli.teams_package import write_package
    from bot.config.problems import Checker
    from bot.config.teams import APP_PASSWORD_ENV, parse_teams

    config = _load(args.config, need_matrix=False)
    # The package names the bot; its password is not needed (nor asked for) here.
    check = Checker()
    raw = tomllib.loads(Path(args.config).read_text(encoding="utf-8"))
    teams = parse_teams(raw.get("teams"), {APP_PASSWORD_ENV: "not needed here"}, check)
    if teams is None or not teams.app_id or check.problems:
        for problem in check.problems or ["teams.app_id: set the Azure Bot's Microsoft App ID"]:
            print(problem, file=sys.stderr)
        return EXIT_CONFIG
    if not re.fullmatch(r"\d{1,4}\.\d{1,4}\.\d{1,4}", args.app_version):
        print("teams-package: --app-version must look like 1.0.0", file=sys.stderr)
        return EXIT_CONFIG
    data = write_package(replace(config, teams=teams), Path(args.out), args.app_version)
    commands = len(data["bots"][0]["commandLists"][0]["commands"])
    print(f"wrote {args.out}: app {data['id']}, {commands} commands in the menu")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in ("backup", "restore"):
        return _backup_command(args)
    if args.command == "devices":
        return _devices_command(args)
    if args.command == "teams-package":
        return _teams_package_command(args)
    if args.command == "check-config":
        from bot.cli.summary import summarise

        print(summarise(_load(args.config, need_matrix=True)))
        return 0
    if args.command in ("schedule", "ics", "feed", "minutes", "report", "privacy"):
        return _calendar_command(args)
    if args.command == "console":
        config = _load(args.config, need_matrix=False)
        setup_logging("WARNING" if args.log_level == "INFO" else args.log_level)
        from bot.cli.app import run_console

        asyncio.run(run_console(config, args.as_user, args.group))
        return 0
    # Until the networks' libraries are imported (`bot.cli.app.settle_heap`),
    # start-up makes a great many objects and no garbage (the config, the
    # modules of the wiring, nio, aiohttp): the cyclic collector would walk
    # them again and again for nothing. Off, start-up is about 0.1 s shorter.
    gc.disable()
    config = _load(args.config, need_matrix=True)
    secrets = []
    if config.matrix is not None:
        secrets += [config.matrix.password, config.matrix.access_token]
    if config.teams is not None:
        secrets.append(config.teams.app_password)
    if config.email is not None:
        inbound = config.email.inbound
        secrets += [config.email.password, inbound.password if inbound else None]
    setup_logging(args.log_level, secrets)
    from bot.cli.app import run_bot

    asyncio.run(run_bot(config))
    return 0
