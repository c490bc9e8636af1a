"""explain: the working behind a child's deadlines, and what-ifs that write nothing."""

from enum import Enum
from typing import Annotated

import typer

from . import app
from .common import handle_errors, on_date, store


class ExplainFormat(str, Enum):
    text = "text"
    json = "json"


DateOpt = Annotated[str | None, typer.Option(show_default=False)]


@app.command("explain")
@handle_errors
def explain(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    on: Annotated[
        str | None, typer.Option("--on", help="As of this date (default: today).")
    ] = None,
    fmt: Annotated[
        ExplainFormat, typer.Option("--format", "-f", help="text (paragraphs) or json.")
    ] = ExplainFormat.text,
    if_booked: Annotated[
        str | None,
        typer.Option("--if-booked", help="What if the next review were booked (or moved) to D."),
    ] = None,
    if_held: Annotated[
        str | None, typer.Option("--if-held", help="What if the next review were held on D.")
    ] = None,
    if_adjourned_to: Annotated[
        str | None,
        typer.Option("--if-adjourned-to", help="What if the booked review were adjourned to D."),
    ] = None,
    if_placement_change: Annotated[
        str | None,
        typer.Option(
            "--if-placement-change",
            help="What if the placement changed on D (with --placement, --legal-status; "
            "neither: another carer of the same type).",
        ),
    ] = None,
    placement: Annotated[
        str | None, typer.Option("--placement", help="The new placement code.")
    ] = None,
    legal_status: Annotated[
        str | None, typer.Option("--legal-status", help="The new legal status code.")
    ] = None,
    reason_place_change: Annotated[
        str | None,
        typer.Option("--reason-place-change", help="The reason for the change (SSDA903)."),
    ] = None,
    if_care_ends: Annotated[
        str | None, typer.Option("--if-care-ends", help="What if care ended on D.")
    ] = None,
) -> None:
    """Show the working behind every open deadline of a child: anchor, rule, arithmetic
    (each weekend day, bank holiday and closure day skipped), the other rules and why they
    did not win, and the policy in force. With an --if-… option, what the real command
    would do (new dates, or its refusal), without writing anything."""
    import json
    import shutil
    import sys

    from .. import explain as engine
    from ..errors import ReviewError
    from ..records import get_child, parse_date

    day = on_date(on)
    asked = {
        "booked": if_booked,
        "held": if_held,
        "adjourned-to": if_adjourned_to,
        "placement-change": if_placement_change,
        "care-ends": if_care_ends,
    }
    given = {k: v for k, v in asked.items() if v is not None}
    if len(given) > 1:
        raise ReviewError("give one --if-… option at a time")
    action, when = next(iter(given.items()), (None, None))
    engine.check_what_if(
        action,
        placement=placement,
        legal_status=legal_status,
        reason_place_change=reason_place_change,
    )
    with store() as s:
        child = get_child(s, child_id)
        if action is None:
            data = engine.explain(s, child["id"], day)
        else:
            data = engine.what_if(
                s,
                child["id"],
                day,
                action,
                parse_date(when, f"--if-{action} date"),
                placement=placement,
                legal_status=legal_status,
                reason_place_change=reason_place_change,
            )
    if fmt == ExplainFormat.json:
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        width = min(shutil.get_terminal_size((80, 24)).columns, 80)
        name = f"{child['first_name']} {child['last_name']}"
        typer.echo(engine.text(data, max(width, 40), name=name), nl=False)
