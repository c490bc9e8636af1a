"""Policy settings and the demo database."""

import json
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import (
    FormatOption,
    ListFormat,
    WriteFormat,
    WriteFormatOption,
    handle_errors,
    progress_bar,
    report,
    store,
    today,
)

policy_app = typer.Typer(
    help="The authority's policy settings (shared by every admin).", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")


@policy_app.command("show")
@handle_errors
def policy_show(fmt: FormatOption = ListFormat.table) -> None:
    """Show every setting, its value, the statutory default and the rule it touches."""
    from ..output import render
    from ..policy import SECRETS, SETTINGS
    from ..records import show_policy_value

    with store() as s:
        values = dict(s.policy_values)
    for key in SECRETS:  # a secret is never printed, only whether it is set
        values[key] = "(set)" if values.get(key) else "(not set)"

    def shown(value):
        # In the table a list reads one item a line, so no item is split.
        if fmt != ListFormat.table:
            return value
        if isinstance(value, list) and value:
            return "\n".join(str(v) for v in value)
        return show_policy_value(value)

    rows = [
        {
            "key": key,
            "value": shown(values[key]),
            "default": shown(setting.default),
            "rule": setting.rule,
            "help": setting.help,
        }
        for key, setting in SETTINGS.items()
    ]
    render(
        rows,
        fmt.value,
        [
            ("key", "Setting"),
            ("value", "Value", "wrap"),
            ("default", "Default", "wrap optional:2"),
            ("rule", "Rule"),
            # Below about 90 columns the meanings give way to whole setting names and
            # values; `policy show --format json` and a wider terminal carry them.
            ("help", "Meaning", "wrap optional"),
        ],
        title="Policy",
    )


@policy_app.command("set")
@handle_errors
def policy_set(
    key: Annotated[str, typer.Argument(help="The setting (see 'policy show').")],
    value: Annotated[str, typer.Argument(help="The new value.")],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Change a setting; deadlines are recomputed when it affects the schedule."""
    from ..records import plan_policy, set_policy

    with store() as s, progress_bar("Recomputing deadlines") as progress:
        # Worked out before the write lock is taken; applied under it (one transaction,
        # on the same connection) if nothing was written in between.
        plan = plan_policy(s, key, value, progress)
        outcome = set_policy(s, key, value, progress, plan)
    report(outcome, fmt)  # once committed


@app.command("demo")
@handle_errors
def demo(
    children: Annotated[
        int, typer.Option("--children", min=1, max=100_000, help="How many children.")
    ] = 300,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same data.")] = 1,
) -> None:
    """Fill a new database with realistic fictional children, in every stage and regime."""
    from ..demo import build
    from ..errors import ReviewError

    with store(create=True) as s:
        if s.value("SELECT COUNT(*) FROM children"):
            raise ReviewError(
                f"{s.path} already holds children; the demo needs a new database file "
                "(use --db demo.db)"
            )
        # One transaction: a demo interrupted at any point leaves the file as it was. Its
        # fictional rows are not audited one by one; one audit row records the build.
        s.audit_off = True
        with progress_bar("Building demo") as progress, s.write():
            summary = build(
                s,
                children=children,
                seed=seed,
                today=today(),
                progress=progress,
                status=lambda label: progress(children, children, label),
            )
            s.conn.execute(
                "INSERT INTO audit (at, user, command, table_name, row_key, action, after) "
                "VALUES (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), "
                "(SELECT value FROM _context WHERE key = 'user'), "
                "(SELECT value FROM _context WHERE key = 'command'), '*', NULL, 'insert', ?)",
                [json.dumps({"demo": summary, "seed": seed})],
            )
    typer.echo(
        f"Demo database {s.path}: {summary['children']} children, {summary['iros']} IROs, "
        f"{summary['looked_after']} looked after, {summary['reviews']} reviews (seed {seed})."
    )


@app.command("audit")
@handle_errors
def audit(
    child: Annotated[str | None, typer.Option("--child", help="Only this child.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date.")] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the newest N rows.")
    ] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """The audit trail: every write, when, by whom, which command, before and after."""
    from .. import filters as check
    from ..maintenance import audit_rows
    from ..output import render
    from ..records import parse_date

    since_d = parse_date(since, "--since date") if since else None
    with store() as s:
        # A child no longer held (an id corrected since) still has their audit rows.
        if child is None or not s.value("SELECT 1 FROM audit WHERE child_id = ?", [child]):
            child = check.child(s, child)
        rows = audit_rows(s, child=child, since=since_d, limit=limit)
    for r in rows:
        r["what"] = _describe(r)
        if fmt == ListFormat.table:
            # To the minute on screen, so the table keeps every value whole at 80
            # columns; JSON and CSV carry the time as recorded.
            r["when"] = (r["at"] or "")[:16].replace("T", " ")
    render(
        rows,
        fmt.value,
        [
            ("when", "When (UTC)", "nowrap"),
            ("user", "User", "optional:2"),
            ("command", "Command", "wrap optional"),
            ("table_name", "Table"),
            ("row_key", "Row", "optional:3"),
            ("child_id", "Child"),
            ("action", "Action"),
            ("what", "Changes", "wrap"),
        ],
        title="Audit trail",
        empty="No audited writes match.",
        # CSV carries the summary and the values before and after (JSON).
        fields=[
            "at",
            "user",
            "command",
            "table_name",
            "row_key",
            "child_id",
            "action",
            "what",
            "before",
            "after",
        ],
    )


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# A row's own time stamps: they repeat the audit's "at" (JSON and CSV keep them).
_STAMPS = ("at", "created_at", "updated_at")


def _describe(row: dict) -> str:
    if row["changes"]:
        return "; ".join(
            f"{k}: {old} → {new}" for k, (old, new) in row["changes"].items() if k not in _STAMPS
        )
    values = row["after"] or row["before"] or {}
    # "dob: 2015-03-02": the value is a word of its own, so a narrow column wraps before it
    # rather than through it; the row's own time stamps repeat the audit's "at".
    return ", ".join(
        f"{k}: {_value(v)}"
        for k, v in values.items()
        if v is not None and k != "id" and k not in _STAMPS
    )


def _value(value) -> str:
    """A value of an audit row; a nested summary (an import's counts) reads '(periods 1, …)'."""
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k} {v}" for k, v in value.items()) + ")"
    return str(value)


@app.command("backup")
@handle_errors
def backup(
    path: Annotated[Path, typer.Argument(help="The new backup file.")],
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Copy the database safely while others use it, then verify the copy."""
    from ..maintenance import backup as do_backup
    from ..output import write_json

    with store() as s:
        result = do_backup(s, path, force=force)
    if fmt == WriteFormat.json:
        write_json(result)
    else:
        typer.echo(
            f"Backed up to {result['path']} ({result['bytes']:,} bytes, "
            f"{_count(result['rows']['children'], 'child', 'children')}); verified."
        )


@app.command("check")
@handle_errors
def check(
    repair: Annotated[
        bool,
        typer.Option("--repair", help="Recompute stored deadlines and the stored work list."),
    ] = False,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """Check the database: integrity, foreign keys and the tool's own invariants."""
    from ..maintenance import check as do_check
    from ..output import render

    with store() as s:
        if repair:
            with progress_bar("Recomputing deadlines") as progress:
                n = s.refresh_all(progress)
            periods = _count(n, "open period", "open periods")
            typer.echo(f"Recomputed the deadlines of {periods} of care.", err=True)
        with progress_bar("Checking") as progress:
            problems = do_check(s, today(), progress)
        from ..onboarding import incomplete_histories, incomplete_note

        note = incomplete_note(incomplete_histories(s))
    if note:
        typer.echo(note, err=True)
    if fmt == ListFormat.table:
        if not problems:
            typer.echo("No problems found.")
            return
        render(
            problems,
            "table",
            [("check", "Check"), ("problem", "Problem", "wrap")],
            title=f"{len(problems)} problems",
        )
    else:
        render(problems, fmt.value, [("check", "check"), ("problem", "problem")])
    if problems:
        raise typer.Exit(1)
