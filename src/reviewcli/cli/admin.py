"""Policy settings and the demo database."""

from __future__ import annotations

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
    from ..policy import SETTINGS
    from ..records import show_policy_value

    with store() as s:
        values = s.policy_values
    rows = [
        {
            "key": key,
            "value": values[key] if fmt != ListFormat.table else show_policy_value(values[key]),
            "default": setting.default
            if fmt != ListFormat.table
            else show_policy_value(setting.default),
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
            ("value", "Value"),
            ("default", "Default"),
            ("rule", "Rule"),
            ("help", "Meaning"),
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
    from ..records import set_policy

    with store() as s, progress_bar("Recomputing deadlines") as progress:
        report(set_policy(s, key, value, progress), fmt)


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
        with progress_bar("Building demo") as progress:
            summary = build(s, children=children, seed=seed, today=today(), progress=progress)
    typer.echo(
        f"Demo database {s.path}: {summary['children']} children, {summary['iros']} IROs, "
        f"{summary['looked_after']} looked after, {summary['reviews']} reviews (seed {seed})."
    )
