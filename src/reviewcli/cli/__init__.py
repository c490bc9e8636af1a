"""The ``reviewcli`` command line: parse, call one domain function, format."""

from pathlib import Path
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from .. import __version__
from .common import STATE, handle_errors

# Every command and group, in the order of the help, with the modules under reviewcli.cli
# that define it (a group's commands may come from several) and the first sentence of its
# help. A module is imported only when one of its commands
# runs, so `reviewcli --help` and each command start without loading the others.
# tests/test_cli_contract.py checks these sentences against the commands' own help.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("", "Create the database, or upgrade an existing one."),
    "demo": (
        "admin",
        "Fill a new database with realistic fictional children, in every stage and regime.",
    ),
    "audit": (
        "admin",
        "The audit trail: every write, when, by whom, which command, before and after.",
    ),
    "backup": (
        "admin",
        "Copy the database safely while others use it, then verify the copy.",
    ),
    "check": (
        "admin",
        "Check the database: integrity, foreign keys and the tool's own invariants.",
    ),
    "actions": ("casework", "Decisions to carry out: the actions admins chase."),
    "explain": (
        "explain",
        "Show the working behind every open deadline of a child: anchor, rule, arithmetic "
        "(each weekend day, bank holiday and closure day skipped), the other rules and why "
        "they did not win, and the policy in force.",
    ),
    "allocate": (
        "children",
        "Name the child's IRO (R-IRO-2); the previous allocation ends that day.",
    ),
    "due": (
        "due",
        "What must be done: every outstanding item due by --on + --within days, overdue first.",
    ),
    "policy": ("admin", "The authority's policy settings (shared by every admin)."),
    "review": ("reviews casework contacts facts", "Reviews: book, move, record, adjourn, cancel."),
    "decision": ("casework", "Review decisions: add, done, edit, cancel, forward."),
    "event": ("casework", "Significant events (R-EVT-1/2) and the IRO's decision on them."),
    "dispute": ("casework facts", "The dispute resolution (escalation) log."),
    "iro": ("children facts", "Independent Reviewing Officers."),
    "child": ("children", "Children: register, list, show."),
    "episode": (
        "children episode_facts facts",
        "Periods of care and their episodes (SSDA903): start, change, end.",
    ),
    "contact": (
        "contacts",
        "A child's contacts (family, carers, professionals): who reviews invite.",
    ),
    "export": ("data", "Export data: the SSDA903 return."),
    "import": ("data", "Import data: an SSDA903 return, or a list of children."),
    "letters": (
        "letters",
        "Letters from the templates: invitations, IRO introduction, decisions.",
    ),
    "report": ("letters", "Monitoring reports (the measures are in docs/rules.md)."),
    "calendar": (
        "calendar",
        "Booked review meetings as an iCalendar file, one event per meeting.",
    ),
}


def _help_wraps_between_words() -> None:
    """Help text wraps at spaces only: click's wrapper also breaks after a hyphen, which
    split the values an admin types back ("sw-" / "conversation", "all-" / "recording")."""
    import importlib
    import textwrap

    for name in ("typer._click._textwrap", "click._textwrap"):
        try:
            wrapper = importlib.import_module(name).TextWrapper
        except ImportError:
            continue
        wrapper.wordsep_re = textwrap.TextWrapper.wordsep_simple_re
        return


_help_wraps_between_words()


# The options of the root command, with what they take (for the message when one is given
# after a command's name).
ROOT_OPTIONS = {"--db": "FILE"}


class LazyGroup(TyperGroup):
    """The root command: lists every command from ``COMMANDS`` and imports a command's
    module only when that command is asked for."""

    listing = False

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, cmd_name: str):
        command = self.commands.get(cmd_name)
        if cmd_name not in COMMANDS or (command is not None and _loaded(cmd_name)):
            return _with_excel(_with_metavars(command)) if command is not None else None
        if self.listing:
            # The root's help shows the first sentence of each command's help: no import.
            return TyperCommand(name=cmd_name, help=COMMANDS[cmd_name][1])
        return self.load(cmd_name)

    def format_commands(self, ctx, formatter) -> None:
        self.listing = True
        try:
            super().format_commands(ctx, formatter)
        finally:
            self.listing = False

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Exception as e:
            # `reviewcli due --db X`: --db belongs to reviewcli itself, before the command
            # (click would suggest an option of `due` with a similar name).
            name = getattr(e, "option_name", None)
            if type(e).__name__ == "NoSuchOption" and name in ROOT_OPTIONS:
                e.message = (
                    f"{name} is an option of reviewcli itself: put it before the command, "
                    f"e.g. 'reviewcli {name} {ROOT_OPTIONS[name]} {ctx.invoked_subcommand} …'"
                )
                e.possibilities = None
            raise

    def load(self, cmd_name: str):
        import importlib

        for module in COMMANDS[cmd_name][0].split():
            importlib.import_module(f"{__name__}.{module}")
        # The modules have added their commands to `app`: build them as Typer does. A group
        # is kept only once every module adding to it is loaded.
        for name, command in typer.main.get_command(app).commands.items():
            if name == cmd_name or (name not in self.commands and _loaded(name)):
                self.commands[name] = _with_excel(_with_metavars(command))
        return self.commands.get(cmd_name)


# What an option takes, shown in --help: "--date YYYY-MM-DD" rather than "--date <str>".
METAVARS = {
    "--date": "YYYY-MM-DD",
    "--on": "YYYY-MM-DD",
    "--dob": "YYYY-MM-DD",
    "--by": "YYYY-MM-DD",
    "--to": "YYYY-MM-DD",
    "--due": "YYYY-MM-DD",
    "--since": "YYYY-MM-DD",
    "--from": "YYYY-MM-DD",
    "--received": "YYYY-MM-DD",
    "--time": "HH:MM",
    "--month": "YYYY-MM",
    "--within": "DAYS",
    "--limit": "N",
    "--iro": "IRO_ID",
    "--team": "TEAM",
    "--child": "CHILD_ID",
    "--kind": "KIND",
}


def _with_metavars(command):
    """``command`` (and a group's commands) with METAVARS on the options that lack one."""
    for param in command.params:
        names = [o for o in getattr(param, "opts", ()) if o in METAVARS]
        if names and param.metavar is None and not getattr(param, "is_flag", False):
            param.metavar = METAVARS[names[0]]
    for sub in getattr(command, "commands", {}).values():
        _with_metavars(sub)
    return command


def _set_excel(ctx, param, value) -> None:
    import contextlib

    from ..output import set_csv_for_excel

    set_csv_for_excel(value)
    if value:
        import sys

        # Excel's CSV goes out byte for byte: UTF-8 and CRLF whatever the console's defaults.
        reconfigure = getattr(sys.stdout, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(encoding="utf-8", newline="")


def _with_excel(command):
    """Give every command that writes CSV (a --format offering csv, or --rejects) the
    --excel option (CLI.md: UTF-8 with a byte-order mark and CRLF line ends), here in one
    place."""
    from typer.core import TyperOption

    for sub in getattr(command, "commands", {}).values():
        _with_excel(sub)
    writes_csv = any(
        ("--format" in p.opts and "csv" in getattr(p.type, "choices", ())) or "--rejects" in p.opts
        for p in command.params
    )
    if writes_csv and not any("--excel" in p.opts for p in command.params):
        command.params.append(
            TyperOption(
                param_decls=["--excel"],
                is_flag=True,
                default=False,
                expose_value=False,
                callback=_set_excel,
                help="CSV for Excel: UTF-8 with a byte-order mark, and CRLF line ends.",
            )
        )
    return command


def _loaded(cmd_name: str) -> bool:
    import sys

    return all(f"{__name__}.{m}" in sys.modules for m in COMMANDS[cmd_name][0].split())


app = typer.Typer(
    name="reviewcli",
    cls=LazyGroup,
    help=(
        "Book, track and report the statutory reviews of children in care.\n\n"
        "Every deadline names the rule that set it (R-SCH-1 …): each rule, its source and "
        "its policy setting are in docs/rules.md; every command and option is in "
        "docs/commands.md. Start with 'reviewcli init', then run 'reviewcli due' each "
        "morning. Dates are YYYY-MM-DD."
    ),
    no_args_is_help=True,
    add_completion=True,
    # Plain help: it draws in a fraction of the time of the Rich panels.
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"reviewcli {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="The database file. Default: $REVIEWCLI_DB, else reviews.db here.",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    STATE["db"] = db
    from ..output import set_csv_for_excel

    set_csv_for_excel(False)


@app.command()
@handle_errors
def init(
    group: Annotated[
        str | None,
        typer.Option(
            "--group",
            help="Share the database with this operating-system group: the database, its "
            "WAL files, backups and outputs become readable and writable by the group.",
        ),
    ] = None,
) -> None:
    """Create the database, or upgrade an existing one. Safe to run again."""
    from ..store import resolve_path
    from .common import store

    path = resolve_path(STATE["db"])
    existed = path.exists()
    gid = None
    if group is not None:
        from ..sharing import check_group_folder, group_id

        gid = group_id(group) if group else None
        if gid is not None:
            check_group_folder(path, gid)  # before anything is created
    s = store(create=True)
    try:
        applied = s.applied_migrations
        recomputed = bool(s.notices)
        if group is not None:
            from .. import files, sharing
            from ..records import set_policy

            if gid is not None:
                sharing.apply_group(path, gid)
            set_policy(s, "group", group)
            files.set_group(gid)
    finally:
        s.close()
    if group:
        typer.echo(
            f"{'Created' if not existed else 'Set'} {path} for the group {group}: the database, "
            "its WAL files, backups and outputs are readable and writable by its members; "
            "each admin's own account is recorded in the audit trail."
        )
    elif group is not None:
        typer.echo(f"Group mode ended for {path}; files created from now on are private.")
    elif not existed:
        typer.echo(f"Created {path} (readable by you only).")
    elif applied:
        typer.echo(f"Upgraded {path}: {', '.join(applied)}.")
    else:
        typer.echo(
            f"{path} is up to date" + (" (its deadlines were recomputed)." if recomputed else ".")
        )


__all__ = ["COMMANDS", "app", "main"]


def main() -> None:
    try:
        app()
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away: stop quietly, as other Unix tools do.
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
