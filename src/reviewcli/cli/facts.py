"""What the annual report counts and no other command records: parents' participation,
the IRO's contacts with the child between reviews, dispute themes, out-of-area placements."""

from typing import Annotated

import typer

# In the order of COMMANDS, so the groups list these commands after theirs whichever
# module loads first.
from . import casework, contacts  # noqa: F401
from .casework import dispute_app
from .children import episode_app, iro_app
from .common import (
    FormatOption,
    ListFormat,
    WriteFormat,
    WriteFormatOption,
    handle_errors,
    report,
    store,
    today,
    writing,
)
from .reviews import review_app


@review_app.command("parents")
@handle_errors
def review_parents(
    review_id: Annotated[int, typer.Argument(help="The review's id (see 'review list').")],
    participation: Annotated[
        str,
        typer.Argument(
            help="attended, contributed (views given, did not attend), declined, not-invited "
            "or not-applicable."
        ),
    ],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record how the parents took part in a held review (the annual report counts it)."""
    from ..casefacts import set_parent_participation

    with writing() as s:
        report(set_parent_participation(s, review_id, participation, today=today()), fmt)


@iro_app.command("contact")
@handle_errors
def iro_contact(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="visit (seen in person), call (telephone or video) or midway-review.",
        ),
    ],
    on: Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default today.")] = None,
    iro: Annotated[
        str | None,
        typer.Option(
            "--iro", help="The IRO (an id or name, any case); default: the child's IRO that day."
        ),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A short note.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record the IRO's contact with the child between reviews (the conversation before each
    review is the R-PRE-4 step: 'review done REVIEW_ID iro-visit')."""
    from .. import filters as check
    from ..casefacts import add_iro_contact

    with writing() as s:
        iro = check.iro(s, iro)
        report(
            add_iro_contact(s, child_id, kind=kind, on=on, iro=iro, note=note, today=today()), fmt
        )


@iro_app.command("contacts")
@handle_errors
def iro_contacts(
    child: Annotated[str | None, typer.Option("--child", help="Only this child.")] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this date.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Up to this date.")] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """The IROs' contacts with children between reviews."""
    from .. import filters as check
    from ..casefacts import iro_contact_rows
    from ..output import render

    with store() as s:
        child = check.child(s, child)
        rows = iro_contact_rows(s, child=child, start=start, end=end)
    asked = check.described(child=child, **{"from": start, "to": end})
    render(
        rows,
        fmt.value,
        [
            ("id", "ID"),
            ("on_date", "Date"),
            ("child_id", "Child"),
            ("iro_id", "IRO"),
            ("kind", "Kind"),
            ("note", "Note"),
        ],
        title="IRO contacts between reviews",
        empty=f"No contacts recorded{asked}.",
    )


@dispute_app.command("theme")
@handle_errors
def dispute_theme(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id.")],
    theme: Annotated[
        str,
        typer.Argument(
            help="care-planning, permanence, placement, contact, education, health, "
            "safeguarding, leaving-care, social-worker, resources, review-process or other."
        ),
    ],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record the theme of a dispute's concern (the annual report counts themes)."""
    from ..casefacts import set_dispute_theme

    with writing() as s:
        report(set_dispute_theme(s, dispute_id, theme, today=today()), fmt)


@episode_app.command("area")
@handle_errors
def episode_area(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    out_of_area: Annotated[
        bool,
        typer.Option(
            "--out-of-area/--in-area",
            help="Whether the current placement is outside the authority's area.",
        ),
    ],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record whether the child's current placement is outside the authority's area."""
    from ..casefacts import set_out_of_area

    with writing() as s:
        report(set_out_of_area(s, child_id, out_of_area=out_of_area, today=today()), fmt)
