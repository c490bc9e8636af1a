"""Reviews: schedule, reschedule, hold, adjourn, cancel, direct, list."""

from typing import Annotated

import typer

from . import app
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

review_app = typer.Typer(help="Reviews: book, move, record, adjourn, cancel.", no_args_is_help=True)
app.add_typer(review_app, name="review")

ReviewId = Annotated[int, typer.Argument(help="The review's id (see 'review list').")]
ChildId = Annotated[str, typer.Argument(help="The child's id.")]


@review_app.command("schedule")
@handle_errors
def schedule(
    child_id: ChildId,
    on: Annotated[str, typer.Option("--date", help="Meeting date, YYYY-MM-DD.")],
    time: Annotated[str | None, typer.Option("--time", help="HH:MM.")] = None,
    venue: Annotated[str | None, typer.Option("--venue", help="Where it meets.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Book the child's next review (a date past the deadline is allowed, with a warning)."""
    from ..records import schedule_review

    with writing() as s:
        report(schedule_review(s, child_id, on=on, today=today(), time=time, venue=venue), fmt)


@review_app.command("reschedule")
@handle_errors
def reschedule(
    review_id: ReviewId,
    on: Annotated[str, typer.Option("--date", help="The new date.")],
    reason: Annotated[
        str | None,
        typer.Option("--reason", help="Required to move past the deadline (R-SCH-13)."),
    ] = None,
    time: Annotated[str | None, typer.Option("--time", help="New time, HH:MM.")] = None,
    venue: Annotated[str | None, typer.Option("--venue", help="New venue.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Move a booked review to another date (R-SCH-13)."""
    from ..records import reschedule_review

    with writing() as s:
        report(
            reschedule_review(
                s, review_id, on=on, today=today(), reason=reason, time=time, venue=venue
            ),
            fmt,
        )


@review_app.command("hold")
@handle_errors
def hold(
    review_id: ReviewId,
    on: Annotated[
        str | None, typer.Option("--date", help="Date held; default: the booked date.")
    ] = None,
    participation: Annotated[
        str | None, typer.Option("--participation", help="PN0–PN7 (SSDA903).")
    ] = None,
    late_reason: Annotated[
        str | None,
        typer.Option("--late-reason", help="Required when out of time (R-SCH-15)."),
    ] = None,
    no_meeting: Annotated[
        bool,
        typer.Option("--no-meeting", help="Held without a meeting (R-SCH-12)."),
    ] = False,
    no_iro_reason: Annotated[
        str | None,
        typer.Option(
            "--no-iro-reason",
            help="Why the review was held with no named IRO (R-IRO-2); refused without it.",
        ),
    ] = None,
    parents: Annotated[
        str | None,
        typer.Option(
            "--parents",
            help="Parents' participation: attended, contributed, declined, not-invited or "
            "not-applicable (see 'review parents').",
        ),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record a review as held (an adjourned one: --date is the day it reconvened)."""
    from ..casefacts import PARENT_PARTICIPATION, check, set_parent_participation
    from ..records import hold_review

    code = check("parents' participation", parents, PARENT_PARTICIPATION, "--parents")
    with writing() as s:
        outcome = hold_review(
            s,
            review_id,
            on=on,
            today=today(),
            participation=participation,
            late_reason=late_reason,
            no_meeting=no_meeting,
            no_iro_reason=no_iro_reason,
        )
        if code:
            set_parent_participation(s, review_id, code, today=today())
            outcome.obj["parent_participation"] = code
        report(outcome, fmt)


@review_app.command("adjourn")
@handle_errors
def adjourn(
    review_id: ReviewId,
    to: Annotated[str, typer.Option("--to", help="Reconvene date (within 20 working days).")],
    reason: Annotated[str, typer.Option("--reason", help="Why the IRO adjourned it.")],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """The IRO adjourned the review (once, reconvening within 20 working days: R-SCH-14)."""
    from ..records import adjourn_review

    with writing() as s:
        report(adjourn_review(s, review_id, to=to, today=today(), reason=reason), fmt)


@review_app.command("cancel")
@handle_errors
def cancel(
    review_id: ReviewId,
    reason: Annotated[str, typer.Option("--reason", help="Why it was cancelled.")],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Cancel a booked review; the deadline still stands."""
    from ..records import cancel_review

    with writing() as s:
        report(cancel_review(s, review_id, today=today(), reason=reason), fmt)


@review_app.command("direct")
@handle_errors
def direct(
    child_id: ChildId,
    by: Annotated[str, typer.Option("--by", help="The review must be held by this date.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the IRO directs it.")],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record an IRO's direction for an earlier review (R-SCH-4)."""
    from ..records import direct_review

    with writing() as s:
        report(direct_review(s, child_id, by=by, today=today(), reason=reason), fmt)


@review_app.command("list")
@handle_errors
def review_list(
    child: Annotated[str | None, typer.Option("--child", help="Only this child.")] = None,
    status: Annotated[
        str | None, typer.Option("--status", help="booked, adjourned, held or cancelled.")
    ] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """List reviews."""
    from ..output import render
    from ..worklist import review_rows

    if status and status not in ("booked", "adjourned", "held", "cancelled"):
        from ..errors import ReviewError

        raise ReviewError(f"unknown status {status!r}; use booked, adjourned, held or cancelled")
    from .. import filters as check

    with store() as s:
        child = check.child(s, child)
        rows = review_rows(s, child_id=child, status=status)
        render(
            rows,
            fmt.value,
            [
                ("id", "ID"),
                ("child_id", "Child"),
                ("number", "No.", "optional:2"),
                ("status", "Status"),
                ("deadline", "Deadline"),
                ("rule", "Rule"),
                ("booked_date", "Booked", "optional"),
                ("booked_time", "Time", "optional:3"),
                ("recording_date", "Recorded"),
                ("participation", "PN", "optional:3"),
                ("on_time", "On time", "optional:2"),
            ],
            title="Reviews",
            empty=f"No {status + ' ' if status else ''}reviews{check.described(child=child)}.",
        )
