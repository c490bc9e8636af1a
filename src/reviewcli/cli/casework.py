"""Around each review: steps, decisions and actions, significant events, disputes."""

from enum import Enum
from typing import Annotated

import typer

from . import app
from .common import (
    FormatOption,
    ListFormat,
    WriteFormat,
    WriteFormatOption,
    handle_errors,
    on_date,
    report,
    store,
    today,
    writing,
)
from .reviews import review_app


class ShowFormat(str, Enum):
    table = "table"
    json = "json"


decision_app = typer.Typer(
    help="Review decisions: add, done, edit, cancel, forward.", no_args_is_help=True
)
event_app = typer.Typer(
    help="Significant events (R-EVT-1/2) and the IRO's decision on them.", no_args_is_help=True
)
dispute_app = typer.Typer(help="The dispute resolution (escalation) log.", no_args_is_help=True)
app.add_typer(decision_app, name="decision")
app.add_typer(event_app, name="event")
app.add_typer(dispute_app, name="dispute")

DateOpt = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD; default today.")]

ACTION_COLUMNS = [
    ("id", "ID"),
    ("child_id", "Child"),
    ("name", "Name", "wrap optional"),
    ("due", "Due"),
    ("owner", "Owner", "wrap"),
    ("starred", "Starred", "optional:2"),
    ("status", "Status", "optional:3"),
    ("overdue", "Overdue"),
    ("text", "Decision", "wrap"),
]


@review_app.command("done")
@handle_errors
def review_done(
    review_id: Annotated[int, typer.Argument(help="The review's id.", metavar="REVIEW_ID")],
    steps: Annotated[
        list[str],
        typer.Argument(
            help="One or more of: consultation, invitations, reports, sw-conversation, "
            "iro-visit, monitoring-form, decisions, manager-response, care-plan, record, "
            "distribution; or all-recording / all-preparation for every open step of that "
            "phase.",
            metavar="STEP...",
        ),
    ],
    on: DateOpt = None,
    disagree: Annotated[
        str | None,
        typer.Option("--disagree", help="manager-response: the manager's disagreement (R-POST-3)."),
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="A short note.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Mark steps around a review done on one date; done after a step's date is recorded as late.

    Several steps at once (all or none are recorded): 'review done 12 decisions care-plan
    record --date 2026-03-04'. all-recording marks every open recording step of a held
    review (R-POST-1, 2, 4, 5, 6; the manager's response stays apart); all-preparation
    every open preparation step (R-PRE-1..4).
    """
    from ..catchup import complete_steps

    with writing() as s:
        report(
            complete_steps(s, review_id, steps, on=on, today=today(), disagree=disagree, note=note),
            fmt,
        )


@review_app.command("steps")
@handle_errors
def review_steps(
    review_id: Annotated[int, typer.Argument(help="The review's id.")],
    fmt: FormatOption = ListFormat.table,
) -> None:
    """The steps around one review, their latest dates and whether they were done."""
    from ..output import render
    from ..records import get_review, step_rows

    with store() as s:
        get_review(s, review_id)
        rows = step_rows(s, review_id, today())
    render(
        rows,
        fmt.value,
        [
            ("step", "Step"),
            ("rule", "Rule"),
            ("due", "By"),
            ("status", "Status"),
            ("done_on", "Done"),
            ("late", "Late"),
            ("note", "Note", "wrap optional"),
        ],
        title=f"Steps of review {review_id}",
        empty="No steps: the review is not booked.",
    )


@decision_app.command("add")
@handle_errors
def decision_add(
    review_id: Annotated[int, typer.Argument(help="The held review that made it.")],
    text: Annotated[str, typer.Argument(help="The decision.")],
    owner: Annotated[str, typer.Option("--owner", help="Who must carry it out.")],
    due: Annotated[str, typer.Option("--due", help="By when, YYYY-MM-DD.")],
    starred: Annotated[bool, typer.Option("--starred", help="A starred decision.")] = False,
    star_category: Annotated[
        str | None,
        typer.Option(
            "--star-category", help="care-plan, resources or practice (implies --starred)."
        ),
    ] = None,
    child_text: Annotated[
        str | None,
        typer.Option(
            "--child-text",
            help="The decision in words for the child, used in the child's decisions letter.",
        ),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record a decision of a review, with its owner and timescale."""
    from ..decisions import add_decision

    with writing() as s:
        report(
            add_decision(
                s,
                review_id,
                text,
                owner=owner,
                due=due,
                today=today(),
                starred=starred,
                star_category=star_category,
                child_text=child_text,
            ),
            fmt,
        )


@decision_app.command("done")
@handle_errors
def decision_done(
    decision_id: Annotated[int, typer.Argument(help="The decision's id.")],
    on: DateOpt = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Mark a decision carried out."""
    from ..decisions import complete_decision

    with writing() as s:
        report(complete_decision(s, decision_id, on=on, today=today()), fmt)


@decision_app.command("edit")
@handle_errors
def decision_edit(
    decision_id: Annotated[int, typer.Argument(help="The decision's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it changes (kept in history).")],
    due: Annotated[str | None, typer.Option("--due", help="New due date.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="New owner.")] = None,
    text: Annotated[str | None, typer.Option("--text", help="New wording.")] = None,
    child_text: Annotated[
        str | None,
        typer.Option("--child-text", help="New wording for the child's decisions letter."),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Change a decision's due date, owner or wording; the history is kept."""
    from ..decisions import edit_decision

    with writing() as s:
        report(
            edit_decision(
                s,
                decision_id,
                due=due,
                owner=owner,
                text=text,
                reason=reason,
                today=today(),
                child_text=child_text,
            ),
            fmt,
        )


@decision_app.command("cancel")
@handle_errors
def decision_cancel(
    decision_id: Annotated[int, typer.Argument(help="The decision's id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it no longer applies.")],
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Cancel a decision that no longer applies."""
    from ..decisions import cancel_decision

    with writing() as s:
        report(cancel_decision(s, decision_id, reason=reason, today=today()), fmt)


@decision_app.command("forward")
@handle_errors
def decision_forward(
    decision_id: Annotated[int, typer.Argument(help="The starred decision's id.")],
    on: DateOpt = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record that a starred decision was forwarded to the managers (R-POST-7, 72 hours)."""
    from ..decisions import forward_decision

    with writing() as s:
        report(forward_decision(s, decision_id, on=on, today=today()), fmt)


@decision_app.command("show")
@handle_errors
def decision_show(
    decision_id: Annotated[int, typer.Argument(help="The decision's id.")],
    fmt: Annotated[
        ShowFormat, typer.Option("--format", "-f", help="table or json.")
    ] = ShowFormat.table,
) -> None:
    """Show a decision with its history: who, what, by when, its state and every change
    to it (--format json: the decision's keys and its history)."""
    from ..decisions import decision_lines, decision_row, get_decision, history_rows
    from ..output import console, table, write_json

    with store() as s:
        get_decision(s, decision_id)
        decision = decision_row(s, decision_id, today())
    if fmt == ShowFormat.json:
        write_json(decision)
        return
    out = console()
    for line in decision_lines(decision, out.width):
        out.print(line, markup=False, highlight=False, soft_wrap=True)
    out.print(
        table(
            history_rows(decision),
            [
                ("at", "When", "nowrap"),
                ("action", "Change"),
                ("old_due", "Due before"),
                ("new_due", "Due after"),
                ("reason", "Reason", "wrap"),
            ],
            title="History",
            empty="No changes recorded.",
        )
    )


@app.command("actions")
@handle_errors
def actions(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open ones past due.")] = False,
    on: Annotated[str | None, typer.Option("--on", help="As on this date.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Only this owner.")] = None,
    child: Annotated[str | None, typer.Option("--child", help="Only this child.")] = None,
    starred: Annotated[bool, typer.Option("--starred", help="Only starred ones.")] = False,
    status: Annotated[str, typer.Option("--status", help="open, done, cancelled or all.")] = "open",
    fmt: FormatOption = ListFormat.table,
) -> None:
    """Decisions to carry out: the actions admins chase."""
    from .. import filters as check
    from ..decisions import action_rows
    from ..errors import ReviewError
    from ..output import render

    if status not in ("open", "done", "cancelled", "all"):
        raise ReviewError(f"unknown status {status!r}; use open, done, cancelled or all")
    day = on_date(on)
    with store() as s:
        child = check.child(s, child)
        which = "" if status == "all" else status + " "
        which = ("overdue " if overdue else "") + ("starred " if starred else "") + which
        empty = f"No {which}actions{check.described(child=child, owner=owner)}."
        rows = action_rows(
            s, day, overdue=overdue, owner=owner, child=child, starred=starred, status=status
        )
        render(
            rows,
            fmt.value,
            ACTION_COLUMNS,
            title="Overdue actions" if overdue else "Actions",
            empty=empty,
        )


@event_app.command("add")
@handle_errors
def event_add(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    kind: Annotated[str, typer.Argument(help="The event kind (see 'event kinds').")],
    on: Annotated[str, typer.Option("--date", help="When it happened, or is planned (R-EVT-2).")],
    note: Annotated[str | None, typer.Option("--note", help="What happened.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record a significant event reported by the social worker."""
    from ..events import add_event

    with writing() as s:
        report(add_event(s, child_id, kind, on=on, today=today(), note=note), fmt)


@event_app.command("kinds")
@handle_errors
def event_kinds(fmt: FormatOption = ListFormat.table) -> None:
    """The kinds of significant event and the rule each falls under."""
    from ..events import REPORTABLE, REVIEW_FIRST
    from ..output import render

    rows = [{"kind": k, "rule": "R-EVT-1", "meaning": v} for k, v in REPORTABLE.items()]
    rows += [
        {"kind": k, "rule": "R-EVT-2", "meaning": v + " (review first)"}
        for k, v in REVIEW_FIRST.items()
    ]
    render(
        rows,
        fmt.value,
        [("kind", "Kind"), ("rule", "Rule"), ("meaning", "Meaning", "wrap")],
        title="Event kinds",
    )


@event_app.command("decide")
@handle_errors
def event_decide(
    event_id: Annotated[int, typer.Argument(help="The event's id.")],
    reason: Annotated[str, typer.Option("--reason", help="The IRO's reason.")],
    review: Annotated[
        bool, typer.Option("--review/--no-review", help="Direct a review, or none needed.")
    ] = False,
    by: Annotated[str | None, typer.Option("--by", help="With --review: held by.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record the IRO's decision on an event: a directed review, or no review and why."""
    from ..events import decide_event

    with writing() as s:
        report(decide_event(s, event_id, review=review, reason=reason, by=by, today=today()), fmt)


@event_app.command("list")
@handle_errors
def event_list(
    child: Annotated[str | None, typer.Option("--child", help="Only this child.")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="Only undecided ones.")] = False,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """List significant events."""
    from .. import filters as check
    from ..events import event_rows
    from ..output import render

    with store() as s:
        child = check.child(s, child)
        rows = event_rows(s, child=child, open_only=open_only)
        render(
            rows,
            fmt.value,
            [
                ("id", "ID"),
                ("child_id", "Child"),
                ("event_date", "Date"),
                ("kind", "Kind"),
                ("rule", "Rule"),
                ("decision", "Decision", "wrap"),
                ("open", "Open", "optional"),
                ("note", "Note", "wrap optional:2"),
            ],
            title="Significant events",
            empty=f"No {'undecided ' if open_only else ''}events{check.described(child=child)}.",
        )


@dispute_app.command("open")
@handle_errors
def dispute_open(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    issue: Annotated[str, typer.Option("--issue", help="The concern being escalated.")],
    decision: Annotated[int | None, typer.Option("--decision", help="A decision id.")] = None,
    stage: Annotated[int, typer.Option("--stage", help="Starting stage.")] = 1,
    on: DateOpt = None,
    theme: Annotated[
        str | None,
        typer.Option(
            "--theme", help="The concern's theme, for the annual report (see 'dispute theme')."
        ),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Open a dispute (escalation) at a stage."""
    from ..disputes import open_dispute

    with writing() as s:
        report(
            open_dispute(
                s,
                child_id,
                issue=issue,
                decision=decision,
                stage=stage,
                today=today(),
                on=on,
                theme=theme,
            ),
            fmt,
        )


@dispute_app.command("escalate")
@handle_errors
def dispute_escalate(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id.")],
    stage: Annotated[int, typer.Option("--stage", help="The new stage.")],
    note: Annotated[str | None, typer.Option("--note", help="Why.")] = None,
    on: DateOpt = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Escalate to a later stage (stages may be skipped)."""
    from ..disputes import escalate

    with writing() as s:
        report(escalate(s, dispute_id, stage=stage, note=note, today=today(), on=on), fmt)


@dispute_app.command("respond")
@handle_errors
def dispute_respond(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id.")],
    note: Annotated[str, typer.Option("--note", help="The response received.")],
    on: DateOpt = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record the response received at the current stage."""
    from ..disputes import respond

    with writing() as s:
        report(respond(s, dispute_id, note=note, today=today(), on=on), fmt)


@dispute_app.command("resolve")
@handle_errors
def dispute_resolve(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id.")],
    outcome: Annotated[str, typer.Option("--outcome", help="How it was resolved.")],
    on: DateOpt = None,
    result: Annotated[
        str | None,
        typer.Option(
            "--result",
            help="resolved, partly-resolved, not-resolved or withdrawn (the annual report "
            "counts them).",
        ),
    ] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Close a dispute with its outcome."""
    from ..disputes import resolve

    with writing() as s:
        report(resolve(s, dispute_id, outcome=outcome, today=today(), on=on, result=result), fmt)


@dispute_app.command("cafcass")
@handle_errors
def dispute_cafcass(
    dispute_id: Annotated[int, typer.Argument(help="The dispute's id.")],
    note: Annotated[str | None, typer.Option("--note", help="About the referral.")] = None,
    on: DateOpt = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Record a referral to Cafcass (possible at any stage)."""
    from ..disputes import refer_cafcass

    with writing() as s:
        report(refer_cafcass(s, dispute_id, note=note, today=today(), on=on), fmt)


@dispute_app.command("list")
@handle_errors
def dispute_list(
    status: Annotated[str | None, typer.Option("--status", help="open or resolved.")] = None,
    child: Annotated[str | None, typer.Option("--child", help="Only this child.")] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """The escalation log."""
    from ..disputes import dispute_rows
    from ..errors import ReviewError
    from ..output import render

    if status not in (None, "open", "resolved"):
        raise ReviewError(f"unknown status {status!r}; use open or resolved")
    from .. import filters as check

    with store() as s:
        child = check.child(s, child)
        rows = dispute_rows(s, today(), status=status, child=child)
        render(
            rows,
            fmt.value,
            [
                ("id", "ID"),
                ("child_id", "Child"),
                ("stage", "Stage"),
                ("stage_name", "With", "wrap optional"),
                ("opened_on", "Opened"),
                ("response_due", "Reply by"),
                ("working_days", "Working days", "optional:2"),
                ("over_time", "Over 20 WD", "optional:2"),
                ("status", "Status", "optional:3"),
                ("issue", "Issue", "wrap"),
            ],
            title="Disputes",
            empty=f"No {status + ' ' if status else ''}disputes{check.described(child=child)}.",
        )
