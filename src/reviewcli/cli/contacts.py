"""Each child's contacts, and who is invited to each review."""

from typing import Annotated

import typer

from . import (
    app,
    casework,  # noqa: F401  (its review steps commands first: one order in the help)
)
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

contact_app = typer.Typer(
    help="A child's contacts (family, carers, professionals): who reviews invite.",
    no_args_is_help=True,
)
app.add_typer(contact_app, name="contact")

ROLES_HELP = (
    "child, parent, parental-responsibility, carer, supervising-social-worker, link-worker, "
    "designated-teacher, personal-adviser (16+), independent-visitor, interpreter, health, "
    "virtual-school, other."
)
ContactId = Annotated[int, typer.Argument(help="The contact's id (see 'contact list').")]

CONTACT_COLUMNS = [
    ("id", "ID"),
    ("child_id", "Child"),
    ("name", "Name", "wrap"),
    ("role", "Role", "wrap"),
    ("email", "Email", "optional:2"),
    ("phone", "Phone", "optional:3"),
    ("language", "Language", "wrap optional:3"),
    ("no_full_record", "Decisions only", "optional"),
    ("active", "Active", "optional"),
]
# Every field of a contact, for CSV.
CONTACT_FIELDS = [
    "id", "child_id", "name", "role", "address", "email", "phone", "language",
    "format_notes", "no_full_record", "notes", "active", "created_at",
]  # fmt: skip
INVITEE_COLUMNS = [
    ("number", "No."),
    ("contact_id", "Contact"),
    ("name", "Name", "wrap"),
    ("role", "Role", "wrap"),
    ("audience", "Letter", "optional"),
    ("no_full_record", "Decisions only", "optional:2"),
    ("letter_sent_on", "Letter sent"),
    ("wishes", "Child's wishes", "wrap"),
]


@contact_app.command("add")
@handle_errors
def contact_add(
    child_id: Annotated[str, typer.Argument(help="The child's id.")],
    name: Annotated[str, typer.Argument(help="The contact's full name.")],
    role: Annotated[str, typer.Option("--role", help=ROLES_HELP)],
    address: Annotated[
        str | None, typer.Option("--address", help="Postal address; separate lines with ';'.")
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="Email address.")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="Phone number.")] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Preferred language, if not English.")
    ] = None,
    format_notes: Annotated[
        str | None,
        typer.Option("--format-notes", help="Needs for letters, e.g. 'large print'."),
    ] = None,
    no_full_record: Annotated[
        bool,
        typer.Option(
            "--no-full-record",
            help="Send the decisions letter, never the full record (the authority's procedure).",
        ),
    ] = False,
    notes: Annotated[str | None, typer.Option("--notes", help="Anything else to know.")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Add a contact for a child: invited to the child's reviews from now on."""
    from ..contacts import add_contact

    with writing() as s:
        report(
            add_contact(
                s,
                child_id,
                name,
                role=role,
                today=today(),
                address=address,
                email=email,
                phone=phone,
                language=language,
                format_notes=format_notes,
                no_full_record=no_full_record,
                notes=notes,
            ),
            fmt,
        )


@contact_app.command("list")
@handle_errors
def contact_list(
    child: Annotated[
        str | None, typer.Option("--child", help="Only this child's contacts.")
    ] = None,
    include_inactive: Annotated[
        bool, typer.Option("--all", help="Include contacts marked inactive.")
    ] = False,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """List contacts (active ones unless --all)."""
    from .. import filters as check
    from ..contacts import contact_rows
    from ..output import render

    with store() as s:
        child = check.child(s, child)
        rows = contact_rows(s, child=child, include_inactive=include_inactive)
    render(
        rows,
        fmt.value,
        CONTACT_COLUMNS,
        fields=CONTACT_FIELDS,
        title="Contacts" + (f" of {child}" if child else ""),
        empty=f"No {'' if include_inactive else 'active '}contacts{check.described(child=child)}:"
        f" add one with 'reviewcli contact add {child or 'CHILD_ID'} NAME --role ROLE'.",
    )


@contact_app.command("edit")
@handle_errors
def contact_edit(
    contact_id: ContactId,
    name: Annotated[str | None, typer.Option("--name", help="New name.")] = None,
    role: Annotated[str | None, typer.Option("--role", help=ROLES_HELP)] = None,
    address: Annotated[
        str | None, typer.Option("--address", help="New address ('' clears it).")
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="New email ('' clears it).")] = None,
    phone: Annotated[str | None, typer.Option("--phone", help="New phone ('' clears it).")] = None,
    language: Annotated[
        str | None, typer.Option("--language", help="Preferred language ('' clears it).")
    ] = None,
    format_notes: Annotated[
        str | None, typer.Option("--format-notes", help="Needs for letters ('' clears them).")
    ] = None,
    full_record: Annotated[
        bool | None,
        typer.Option(
            "--full-record/--no-full-record",
            help="Whether the contact may receive the full record of reviews.",
            show_default=False,
        ),
    ] = None,
    notes: Annotated[str | None, typer.Option("--notes", help="Notes ('' clears them).")] = None,
    fmt: WriteFormatOption = WriteFormat.text,
) -> None:
    """Change a contact's details."""
    from ..contacts import edit_contact

    with writing() as s:
        report(
            edit_contact(
                s,
                contact_id,
                today=today(),
                no_full_record=None if full_record is None else not full_record,
                name=name,
                role=role,
                address=address,
                email=email,
                phone=phone,
                language=language,
                format_notes=format_notes,
                notes=notes,
            ),
            fmt,
        )


@contact_app.command("remove")
@handle_errors
def contact_remove(contact_id: ContactId, fmt: WriteFormatOption = WriteFormat.text) -> None:
    """Mark a contact inactive (kept on record, never deleted; no longer invited)."""
    from ..contacts import remove_contact

    with writing() as s:
        report(remove_contact(s, contact_id, today=today()), fmt)


@review_app.command("invitees")
@handle_errors
def review_invitees(
    review_id: Annotated[int, typer.Argument(help="The review's id.")],
    add: Annotated[
        list[str] | None,
        typer.Option("--add", help="Put a contact (back) on the list; repeatable."),
    ] = None,
    remove: Annotated[
        list[str] | None,
        typer.Option("--remove", help="Take a contact off this review's list; repeatable."),
    ] = None,
    child_wishes: Annotated[
        str | None,
        typer.Option(
            "--child-wishes",
            help="The child's wishes about the review: who comes, where, chairing ('' clears).",
        ),
    ] = None,
    fmt: FormatOption = ListFormat.table,
) -> None:
    """Who is invited to a review: the child, and the child's active contacts unless removed.

    With --add, --remove or --child-wishes, change the list and print one line (or the
    list with --format json or csv)."""
    from ..contacts import edit_invitees, invitees
    from ..output import render

    with store() as s:
        if add or remove or child_wishes is not None:
            outcome = edit_invitees(
                s,
                review_id,
                today=today(),
                add=add or (),
                remove=remove or (),
                child_wishes=child_wishes,
            )
            if fmt == ListFormat.table:
                report(outcome, WriteFormat.text)
                return
            rows = outcome.obj["invitees"]
        else:
            rows = invitees(s, review_id)
    render(rows, fmt.value, INVITEE_COLUMNS, title=f"Invited to review {review_id}")
