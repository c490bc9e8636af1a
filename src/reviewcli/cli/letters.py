"""Printed output: letters (invitations, IRO introduction, decisions) and the monthly
monitoring report."""

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from . import app
from .common import handle_errors, on_date, progress_bar, store, today, warn

letters_app = typer.Typer(
    help="Letters from the templates: invitations, IRO introduction, decisions.",
    no_args_is_help=True,
)
report_app = typer.Typer(
    help="Monitoring reports (the measures are in docs/rules.md).", no_args_is_help=True
)
app.add_typer(letters_app, name="letters")
app.add_typer(report_app, name="report")


class LetterFormat(str, Enum):
    html = "html"
    txt = "txt"
    pdf = "pdf"
    docx = "docx"
    eml = "eml"


OutDir = Annotated[
    Path, typer.Option("--out", help="Folder to write the letters to (created if missing).")
]
LetterFormatOption = Annotated[
    LetterFormat,
    typer.Option(
        "--format",
        "-f",
        help="html (A4, for a browser), txt (plain text), pdf (print-ready: the address "
        "in the envelope window, the protective marking and page numbers on every page), docx "
        "(Word, from the letter.docx template, which an authority can edit), or "
        "eml (an email message to each recipient with an email address: the letter as text "
        "and HTML, its PDF and the meeting's calendar entry attached; a PDF for the others). "
        "In any format a recipient with an email address and no postal address gets an "
        "email message.",
    ),
]
TemplateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--template-dir",
        help="Folder of the authority's own templates (default: the template-dir setting); "
        "a template missing there comes from the packaged ones.",
    ),
]


def _warn_all(warnings: list[str]) -> None:
    """Each warning once; a run of many letters folds the children too young for a letter
    of their own (expected, not a fault) into one line rather than one line each."""
    from ..letters import TOO_YOUNG

    young = [m.removesuffix(" " + TOO_YOUNG) for m in warnings if m.endswith(" " + TOO_YOUNG)]
    if len(young) <= _FOLD_AFTER:
        young = []
    for message in warnings:
        if not (young and message.endswith(" " + TOO_YOUNG)):
            warn(message)
    if young:
        shown = ", ".join(young[:_FOLD_AFTER])
        warn(
            f"{len(young)} children are under 4 on the day of their review: no letter of "
            f"their own (the carers' letters cover them): {shown} and {len(young) - _FOLD_AFTER}"
            " more"
        )


# More than this many children too young for a letter are named in one line.
_FOLD_AFTER = 5


def _settings_warning(s) -> None:
    from ..letters import missing_settings

    missing = missing_settings(s)
    if missing:
        warn(
            f"policy settings not set: {', '.join(missing)}; letters use general wording "
            "('reviewcli policy set KEY VALUE')"
        )


def counted(written, what: str) -> str:
    """'3 invitation letters and 1 email message': letters and messages counted apart."""
    n, m = written.posted, len(written.emails)
    parts = []
    if n or not m:
        parts.append(f"{n} {what} letter{'' if n == 1 else 's'}")
    if m:
        parts.append(f"{m} email message{'' if m == 1 else 's'}")
    return " and ".join(parts)


def _recover_batches(s, out: Path) -> None:
    """Finish what an interrupted ``--mark-sent`` run left (see ``reviewcli.batches``),
    and say so."""
    from ..batches import recover

    for line in recover(s, out if out.is_dir() else None):
        warn(line)


def _done(written, what: str, where: str, out: Path) -> None:
    """'Wrote 3 invitation letters and 1 email message for review 12 to DIR.'"""
    for line in written.unreachable:
        warn(line)
    typer.echo(f"Wrote {counted(written, what)} {where} to {out}.")


@letters_app.command("invite")
@handle_errors
def letters_invite(
    review_id: Annotated[int, typer.Argument(help="The booked review.")],
    out: OutDir,
    fmt: LetterFormatOption = LetterFormat.html,
    template_dir: TemplateDirOption = None,
    combined: Annotated[
        bool,
        typer.Option(
            "--combined",
            help="One file with every letter, a page apart, to print; in a PDF each letter "
            "starts on an odd page (padded with a blank page), for printing on both sides.",
        ),
    ] = False,
    mark_sent: Annotated[
        bool,
        typer.Option(
            "--mark-sent", help="Record the invitations step done (R-PRE-2) and the letters sent."
        ),
    ] = False,
) -> None:
    """Write the invitation and consultation cover note for each invitee, one file each."""
    from ..letters import invitation_documents, write_and_mark_sent, write_documents

    day = today()
    with store() as s:
        _recover_batches(s, out)
        docs, warnings = invitation_documents(s, review_id, today=day)
        with progress_bar("Writing invitations") as progress:
            written = (write_and_mark_sent if mark_sent else write_documents)(
                s,
                docs,
                out,
                fmt=fmt.value,
                today=day,
                template_dir=template_dir,
                progress=progress,
                combined=f"review-{review_id}_invitations" if combined else None,
            )
        _settings_warning(s)
    _warn_all(warnings)
    if combined and written.letters:
        _done(written, "invitation", f"for review {review_id}", written.letters[0])
    else:
        _done(written, "invitation", f"for review {review_id}", out)


@letters_app.command("intro")
@handle_errors
def letters_intro(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    out: OutDir,
    fmt: LetterFormatOption = LetterFormat.html,
    template_dir: TemplateDirOption = None,
) -> None:
    """Write the IRO's introduction letter to the child (IRO Handbook 7.2)."""
    from ..letters import intro_document, write_documents

    day = today()
    with store() as s:
        docs, warnings = intro_document(s, child_id, today=day)
        written = write_documents(s, docs, out, fmt=fmt.value, today=day, template_dir=template_dir)
        _settings_warning(s)
    _warn_all(warnings)
    for line in written.unreachable:
        warn(line)
    if not written.paths:
        typer.echo(f"Wrote no IRO introduction for {child_id}.")
    else:
        typer.echo(f"Wrote the IRO introduction for {child_id} to {written.paths[0]}.")


@letters_app.command("decisions")
@handle_errors
def letters_decisions(
    review_id: Annotated[int, typer.Argument(help="The held review.")],
    out: OutDir,
    absent: Annotated[
        list[str] | None,
        typer.Option(
            "--absent",
            help="An invitee who could not attend: contact id, or 'child'; repeatable. The "
            "child counts as absent with participation PN5–PN7.",
        ),
    ] = None,
    fmt: LetterFormatOption = LetterFormat.html,
    template_dir: TemplateDirOption = None,
) -> None:
    """Write the decisions letter to each invitee who could not attend, and to every
    contact flagged --no-full-record (who never gets the full record)."""
    from ..letters import decisions_documents, write_documents

    day = today()
    with store() as s:
        docs, warnings = decisions_documents(s, review_id, today=day, absent=absent or ())
        written = write_documents(s, docs, out, fmt=fmt.value, today=day, template_dir=template_dir)
        _settings_warning(s)
    _warn_all(warnings)
    _done(written, "decisions", f"for review {review_id}", out)


@letters_app.command("due")
@handle_errors
def letters_due(
    out: OutDir,
    on: Annotated[
        str | None, typer.Option("--on", help="Look from this date (default today).")
    ] = None,
    within: Annotated[
        int,
        typer.Option("--within", min=0, help="Also invitations due this many days after --on."),
    ] = 3,
    fmt: LetterFormatOption = LetterFormat.html,
    template_dir: TemplateDirOption = None,
    combined: Annotated[
        bool,
        typer.Option(
            "--combined",
            help="One file with every paper letter, to print; in a PDF each letter starts on "
            "an odd page (padded with a blank page), for printing on both sides. Email "
            "messages stay separate files.",
        ),
    ] = False,
    mark_sent: Annotated[
        bool,
        typer.Option(
            "--mark-sent",
            help="Record each review's invitations step done today (R-PRE-2) and the letters sent.",
        ),
    ] = False,
) -> None:
    """Write every invitation whose send-by date (R-PRE-2, 10 working days before the
    meeting) falls on or before --on + --within days, overdue ones included."""
    from ..errors import ReviewError
    from ..letters import (
        NOTICE_DAYS,
        due_invitations,
        invitation_documents,
        notice,
        reference,
        write_and_mark_sent,
        write_documents,
    )
    from ..records import get_review

    day = on_date(on)
    sent_on = today()
    with store() as s:
        _recover_batches(s, out)
        due = due_invitations(s, day, within)
        docs, warnings = [], []
        skipped = 0
        past: list[str] = []
        late: list[str] = []
        for item in due:
            review = get_review(s, item["review_id"])
            when = notice(s, review, sent_on)
            ref = f"review {review['id']} ({reference(review['child_id'], review['number'])})"
            if when["state"] == "past":
                past.append(
                    f"{ref} met on {when['meeting']}: record the outcome first "
                    f"('reviewcli review hold {review['id']}') or reschedule it"
                )
                continue
            try:
                more, notes = invitation_documents(s, item["review_id"], today=sent_on)
            except ReviewError as e:  # one review's problem does not hold up the others
                warnings.append(f"review {item['review_id']} skipped: {e}")
                skipped += 1
                continue
            if when["state"] == "late":
                late.append(
                    f"{ref} late: {when['working_days']} working days' notice of the meeting "
                    f"on {when['meeting']} (R-PRE-2 asks for {NOTICE_DAYS}; send by "
                    f"{when['send_by']})"
                )
                notes = [n for n in notes if " is late: " not in n]
            docs += more
            warnings += notes
        with progress_bar("Writing invitations") as progress:
            written = (write_and_mark_sent if mark_sent else write_documents)(
                s,
                docs,
                out,
                fmt=fmt.value,
                today=sent_on,
                template_dir=template_dir,
                progress=progress,
                combined=f"invitations_{sent_on.isoformat()}" if combined else None,
            )
        if docs:
            _settings_warning(s)
    for line in past:
        warn(f"not written: {line}")
    for line in written.unreachable:
        warn(line)
    for line in late:
        warn(line)
    _warn_all(warnings)
    done = len(due) - skipped - len(past)
    message = (
        f"Wrote {counted(written, 'invitation')} for {done} "
        f"review{'' if done == 1 else 's'} to {out}"
    )
    extra = []
    if late:
        extra.append(f"{len(late)} late")
    if past:
        extra.append(f"{len(past)} to record the outcome first")
    if skipped:
        extra.append(f"{skipped} skipped")
    if written.unreachable:
        extra.append(f"{len(written.unreachable)} with no address")
    if extra:
        message += f" ({', '.join(extra)}: see the warnings)"
    if mark_sent and written.sent:
        message += f"; invitations step done on {sent_on} (R-PRE-2)"
    typer.echo(message + ".")


# --- report monthly ----------------------------------------------------------------------------


class ReportFormat(str, Enum):
    html = "html"
    csv = "csv"
    xlsx = "xlsx"
    md = "md"
    json = "json"
    pdf = "pdf"


# The options both reports take.
ReportOutOption = Annotated[
    Path | None,
    typer.Option("--out", help="Write to this file (required for xlsx and pdf) instead of stdout."),
]
PseudonymiseOption = Annotated[
    bool,
    typer.Option(
        "--pseudonymise",
        help="For wider circulation: initials for names, stable pseudonyms for ids.",
    ),
]


@report_app.command("monthly")
@handle_errors
def report_monthly(
    month: Annotated[str, typer.Option("--month", help="The month, YYYY-MM.")],
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="html (printable, with charts), pdf (print-ready, the protective marking on "
            "every page), csv (long format: section, item, field, value), xlsx (one sheet "
            "per table), md or json.",
        ),
    ] = ReportFormat.md,
    out: ReportOutOption = None,
    pseudonymise: PseudonymiseOption = False,
    template_dir: TemplateDirOption = None,
) -> None:
    """The monthly monitoring report: reviews held on time, participation, records,
    decisions, disputes, IRO caseloads and the reviews due next month by team."""
    from .. import reports
    from ..errors import ReviewError

    if fmt in (ReportFormat.xlsx, ReportFormat.pdf) and out is None:
        raise ReviewError(f"{fmt.value} is a binary file: give --out PATH")
    with store() as s:
        key = reports.ensure_pseudonym_key(s) if pseudonymise else None
        data = reports.monthly_report(s, month, today=today())
        if key:
            data = reports.pseudonymise(s, data, key)
        context = _report_context(s, fmt, template_dir)
    title = f"Monthly monitoring report {data['month']}"
    if not _write_report(reports, data, fmt, out, title, *context):
        return
    typer.echo(f"Wrote the {fmt.value} report for {data['month']} to {out}.", err=True)


# --- report annual -----------------------------------------------------------------------------


@report_app.command("annual")
@handle_errors
def report_annual(
    year: Annotated[
        str, typer.Option("--year", help="The financial year, YYYY-YY (1 April to 31 March).")
    ],
    fmt: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="html (printable, with charts of the twelve months), pdf (print-ready, "
            "the protective marking on every page), csv (long format: section, item, field, "
            "value), xlsx (one sheet per table), md or json.",
        ),
    ] = ReportFormat.md,
    out: ReportOutOption = None,
    pseudonymise: PseudonymiseOption = False,
    template_dir: TemplateDirOption = None,
) -> None:
    """The IRO service's annual report (IRO Handbook 7.11): every measure month by month,
    the year's figure and the previous year's beside it, with definitions and rules."""
    from .. import annual, reports
    from ..errors import ReviewError

    annual.parse_year(year)
    if fmt in (ReportFormat.xlsx, ReportFormat.pdf) and out is None:
        raise ReviewError(f"{fmt.value} is a binary file: give --out PATH")
    with store() as s:
        key = reports.ensure_pseudonym_key(s) if pseudonymise else None
        data = annual.annual_report(s, year, today=today())
        if key:
            data = annual.pseudonymise(s, data, key)
        context = _report_context(s, fmt, template_dir)
    title = f"IRO service annual report {data['year']}"
    if not _write_report(annual, data, fmt, out, title, *context):
        return
    typer.echo(f"Wrote the {fmt.value} annual report for {data['year']} to {out}.", err=True)


def _report_context(s, fmt: ReportFormat, template_dir) -> tuple:
    """What a report's pages need from the database: the authority's header, the template
    folder (html and pdf) and the protective marking (pdf)."""
    from .. import reports

    tdir = None
    if fmt in (ReportFormat.html, ReportFormat.pdf):
        from ..letters import template_folder

        tdir = template_folder(s, template_dir)
    marking = str(s.policy_values.get("protective-marking") or "")
    return reports.report_header(s), tdir, marking


def _write_report(kind, data: dict, fmt: ReportFormat, out, title: str, authority, tdir, marking):
    """Write a report (``kind``: the ``reports`` or ``annual`` module) in ``fmt`` to
    ``out``, or to stdout when ``out`` is None (text formats only). True when a file was
    written."""
    import sys

    from .. import reports
    from ..files import open_private

    if fmt == ReportFormat.xlsx:
        with open_private(out, "wb", encoding=None) as stream:
            kind.write_xlsx(data, stream, authority)
        return True
    if fmt == ReportFormat.pdf:
        from ..pdf import report_pdf

        document = report_pdf(kind.to_html(data, authority, tdir), marking=marking, title=title)
        with open_private(out, "wb", encoding=None) as stream:
            stream.write(document)
        return True
    if fmt == ReportFormat.json:
        text = reports.to_json(data)
    elif fmt == ReportFormat.csv:
        text = kind.to_csv(data)
    elif fmt == ReportFormat.md:
        text = kind.to_markdown(data)
    else:
        text = kind.to_html(data, authority, tdir)
    if out is None:
        sys.stdout.write(text)
        return False
    with open_private(out) as stream:
        stream.write(text)
    return True
