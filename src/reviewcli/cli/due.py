"""``reviewcli due``: the daily work list."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

import typer

from . import app
from .common import FormatOption, ListFormat, handle_errors, on_date, store

CSV_COLUMNS = [
    "kind",
    "child_id",
    "due",
    "overdue",
    "review_id",
    "rule",
    "detail",
    "name",
    "iro",
    "team",
    "booked",
    "number",
]


@app.command("due")
@handle_errors
def due(
    on: Annotated[
        str | None, typer.Option("--on", help="Look from this date (default today).")
    ] = None,
    within: Annotated[int, typer.Option("--within", min=0, help="Days ahead to include.")] = 30,
    iro: Annotated[str | None, typer.Option("--iro", help="Only this IRO's children.")] = None,
    team: Annotated[str | None, typer.Option("--team", help="Only this team.")] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", help="Only these kinds (repeatable): review, allocation, …"),
    ] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """What must be done: every outstanding item due by --on + --within days, overdue first."""
    from ..errors import ReviewError
    from ..worklist import KINDS, due_items

    day = on_date(on)
    if kind:
        unknown = [k for k in kind if k not in KINDS]
        if unknown:
            raise ReviewError(f"unknown kind {unknown[0]!r}; kinds: {', '.join(KINDS)}")
    with store() as s:
        items = due_items(s, day, within, iro=iro, team=team, kinds=set(kind or ()))
    if fmt == ListFormat.json:
        from ..output import write_json

        write_json(items)
    elif fmt == ListFormat.csv:
        from ..output import write_csv

        write_csv(items, CSV_COLUMNS)
    else:
        print_due(items, day, within)


def _section(items: list[dict], day: date) -> dict[str, list[dict]]:
    week_end = (day + timedelta(days=7)).isoformat()
    groups = {"Overdue": [], "Due this week": [], "Later": []}
    for item in items:
        if item["overdue"]:
            groups["Overdue"].append(item)
        elif item["due"] <= week_end:
            groups["Due this week"].append(item)
        else:
            groups["Later"].append(item)
    return groups


def print_due(items: list[dict], day: date, within: int) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ..output import console

    out = console()
    out.print(f"[bold]Work due[/] on {day:%A %-d %B %Y} (looking {within} days ahead)")
    if not items:
        out.print("Nothing due. ")
        return
    styles = {"Overdue": "bold red", "Due this week": "yellow", "Later": "green"}
    groups = _section(items, day)
    for name, rows in groups.items():
        if not rows:
            continue
        t = Table(
            title=f"{name} ({len(rows)})",
            title_style=styles[name],
            title_justify="left",
            header_style="bold",
        )
        for heading in ("Due", "Kind", "Child", "Name", "IRO", "Rule", "What"):
            t.add_column(heading, overflow="fold", no_wrap=heading in ("Due", "Rule"))
        for item in rows:
            t.add_row(
                f"[{styles[name]}]{item['due']}[/]",
                item["kind"],
                escape(item["child_id"]),
                escape(item["name"]),
                escape(item["iro"] or "-"),
                item["rule"],
                escape(item["detail"]),
            )
        out.print(t)
    counts = {name: len(rows) for name, rows in groups.items()}
    out.print(
        f"{counts['Overdue']} overdue, {counts['Due this week']} due this week, "
        f"{counts['Later']} later; {len(items)} in all."
    )
