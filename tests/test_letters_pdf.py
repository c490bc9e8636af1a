"""Print-ready PDF letters and reports (WeasyPrint): the address in the envelope window,
the protective marking on every page, the reference and page number on every page after
the first, no page holding only a sign-off, combined files padded so each letter starts
on an odd page. Read back with pypdf."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from test_letters import HOSTILE, case, held  # noqa: F401  (fixtures)

MM = 72 / 25.4  # PDF points per millimetre
A4_HEIGHT = 297


def pages_text(path: Path) -> list[str]:
    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages]


def text_positions(path: Path, page_no: int = 0) -> list[tuple[str, float, float]]:
    """(text, mm from the left, mm from the top) of each run of text on a page."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            x = tm[4] * cm[0] + cm[4]
            y = tm[5] * cm[3] + cm[5]
            found.append((text.strip(), x / MM, A4_HEIGHT - y / MM))

    PdfReader(path).pages[page_no].extract_text(visitor_text=visit)
    return found


def test_invitation_pdfs_carry_marking_reference_and_page_numbers(case, tmp_path):  # noqa: F811
    out = tmp_path / "o"
    line = case.line(
        "letters", "invite", "1", "--out", str(out), "--format", "pdf", today="2026-06-01"
    )
    assert line == f"Wrote 3 invitation letters and 1 email message for review 1 to {out}."
    files = sorted(out.glob("*.pdf"))
    assert [f.name for f in files] == [
        "review-1_C001_invitation_01-child.pdf",
        "review-1_C001_invitation_02-parent.pdf",
        "review-1_C001_invitation_03-carer.pdf",
    ]
    parent = pages_text(out / "review-1_C001_invitation_02-parent.pdf")
    assert len(parent) >= 2
    for text in parent:
        assert text.count("OFFICIAL-SENSITIVE") == 2  # top and foot of every page
    assert "Mary Ash" in parent[0] and "Thursday 18 June 2026" in parent[0]
    assert "Page 1 of" not in parent[0]
    # Every page after the first of each letter: reference and page number.
    numbered = [t for t in parent if "Page " in t and " of " in t]
    assert numbered and all("Reference C001 review 1" in t for t in numbered)
    assert "Review 1 ·" not in " ".join(parent)


def test_protective_marking_is_a_policy_setting(case, tmp_path):  # noqa: F811
    case.ok("policy", "set", "protective-marking", "OFFICIAL")
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "pdf", today="2026-06-01")
    text = pages_text(out / "review-1_C001_invitation_03-carer.pdf")
    assert all("OFFICIAL" in t and "OFFICIAL-SENSITIVE" not in t for t in text)


@pytest.mark.parametrize(
    "window, box",
    [(None, (20, 50, 90, 35)), ("C5", (20, 47, 90, 45)), ("25,55,95,40", (25, 55, 95, 40))],
)
def test_recipient_address_sits_in_the_envelope_window(case, tmp_path, window, box):  # noqa: F811
    if window:
        case.ok("policy", "set", "envelope-window", window)
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "pdf", today="2026-06-01")
    left, top, width, height = box
    for name, lines in [
        ("review-1_C001_invitation_02-parent.pdf", ["Mary Ash", "1 High Street"]),
        ("review-1_C001_invitation_03-carer.pdf", ["Pat and Chris Jones", "2 Low Road"]),
    ]:
        runs = text_positions(out / name)
        for wanted in lines:
            x, y = next((x, y) for text, x, y in runs if text.startswith(wanted))
            assert left <= x <= left + width, (name, wanted, x)
            # The baseline lies inside the window, a line's height below its top edge.
            assert top + 3 <= y <= top + height, (name, wanted, y)


def test_envelope_window_setting_is_checked(case):  # noqa: F811
    message = case.refused("policy", "set", "envelope-window", "200,10,90,35")
    assert "A4 page" in message
    message = case.refused("policy", "set", "envelope-window", "left")
    assert "DL, C5 or LEFT,TOP,WIDTH,HEIGHT" in message


def test_combined_pdf_starts_every_letter_on_an_odd_page(case, tmp_path):  # noqa: F811
    out = tmp_path / "o"
    case.ok(
        "letters",
        "invite",
        "1",
        "--out",
        str(out),
        "--format",
        "pdf",
        "--combined",
        today="2026-06-01",
    )
    (combined,) = out.glob("*.pdf")
    assert [p.name for p in out.glob("*.eml")] == [
        "review-1_C001_invitation_04-designated-teacher.eml"
    ]
    text = pages_text(combined)
    assert len(text) % 2 == 0
    # A letter's first page has no page number; a padding page says it is blank.
    starts = [i for i, t in enumerate(text) if "Page " not in t and "intentionally blank" not in t]
    blanks = [i for i, t in enumerate(text) if "intentionally blank" in t]
    # An invitation, a cover note and a consultation form for each of the 3 recipients by
    # post (the teacher, email only, gets a message).
    assert len(starts) == 9
    assert all(i % 2 == 0 for i in starts)  # page 1, 3, 5 …: the front of a sheet
    assert all(i % 2 == 1 for i in blanks)
    assert all("OFFICIAL-SENSITIVE" in t for t in text)
    # Without padding the letters would take len(text) - len(blanks) pages.
    single = sum(len(PdfReader(f).pages) for f in _separate(case, tmp_path))
    assert len(text) - len(blanks) == single


def _separate(case, tmp_path):  # noqa: F811
    out = tmp_path / "separate"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "pdf", today="2026-06-01")
    return sorted(out.glob("*.pdf"))


@pytest.mark.parametrize("count", [3, 9, 14])
def test_no_page_holds_only_the_sign_off(held, tmp_path, count):  # noqa: F811
    for n in range(count):
        held.ok(
            "decision",
            "add",
            "1",
            f"Decision {n + 1}: arrange and review the support agreed at the meeting, and "
            "report back to the IRO in writing",
            "--owner",
            "Social worker",
            "--due",
            "2026-07-31",
            today="2026-06-18",
        )
    out = tmp_path / "o"
    held.ok(
        "letters",
        "decisions",
        "1",
        "--out",
        str(out),
        "--format",
        "pdf",
        "--absent",
        "2",
        today="2026-06-19",
    )
    for file in out.glob("*.pdf"):
        for text in pages_text(file)[1:]:
            body = text
            for furniture in ("OFFICIAL-SENSITIVE", "Reference C001 review 1"):
                body = body.replace(furniture, "")
            body = body.split("Page ")[0].strip()
            signoff_only = body.startswith(("Yours sincerely", "Best wishes", "Take care"))
            assert not signoff_only, f"{file.name}: a page holds only the sign-off: {text}"


def test_hostile_strings_stay_text_in_the_pdf(world, tmp_path):
    world.ok(
        "child",
        "add",
        "C666",
        "--first-name",
        HOSTILE[1],
        "--last-name",
        HOSTILE[0],
        "--dob",
        "2012-01-01",
        today="2026-06-01",
    )
    world.ok("episode", "start", "C666", "--date", "2026-06-01", today="2026-06-01")
    world.ok("allocate", "C666", "IRO1", "--date", "2026-06-01", today="2026-06-01")
    world.ok("contact", "add", "C666", HOSTILE[0], "--role", "parent", "--address", HOSTILE[1])
    world.ok("policy", "set", "protective-marking", "</style><b>x</b>")
    world.ok(
        "review", "schedule", "C666", "--date", "2026-06-26", "--venue", HOSTILE[0],
        today="2026-06-01",
    )  # fmt: skip
    out = tmp_path / "o"
    world.ok("letters", "invite", "1", "--out", str(out), "--format", "pdf", today="2026-06-01")
    text = " ".join(pages_text(out / "review-1_C666_invitation_02-parent.pdf"))
    assert "<script>alert(1)</script>" in text  # shown as text, exactly as typed
    assert '"><img src=x onerror=alert(1)>' in text
    assert "&lt;" not in text and "&amp;" not in text  # never escaped twice
    assert text.count("</style><b>x</b>") >= 2  # the marking, printed as typed


def test_monthly_report_as_pdf(world, tmp_path):
    out = tmp_path / "report.pdf"
    world.ok("report", "monthly", "--month", "2026-06", "--format", "pdf", "--out", str(out))
    text = pages_text(out)
    # The running marking at the top and foot of every page (the HTML adds one on page 1).
    assert text and all(t.count("OFFICIAL-SENSITIVE") >= 2 for t in text)
    assert "Monthly monitoring report" in text[0]
    assert all(f"Page {i} of {len(text)}" in t for i, t in enumerate(text, 1))
    message = world.refused("report", "monthly", "--month", "2026-06", "--format", "pdf")
    assert "give --out PATH" in message


def test_report_title_and_marking_are_escaped_for_css():
    from reviewcli.pdf import css_string

    assert css_string('a"b\\c</style>') == "a\\000022b\\00005cc\\00003c/style\\00003e"


def test_letters_due_combined_pdf_pads_every_letter(case, tmp_path):  # noqa: F811
    out = tmp_path / "due"
    line = case.line(
        "letters", "due", "--out", str(out), "--format", "pdf", "--combined",
        today="2026-06-01",
    )  # fmt: skip
    assert line == f"Wrote 3 invitation letters and 1 email message for 1 review to {out}."
    assert sorted(p.name for p in out.iterdir()) == [
        "invitations_2026-06-01.pdf",
        "review-1_C001_invitation_04-designated-teacher.eml",
    ]
    text = pages_text(out / "invitations_2026-06-01.pdf")
    starts = [i for i, t in enumerate(text) if "Page " not in t and "intentionally" not in t]
    assert len(starts) == 9 and all(i % 2 == 0 for i in starts) and len(text) % 2 == 0


def test_large_print_letter_has_no_nearly_empty_pages(case, tmp_path):  # noqa: F811
    case.ok("contact", "edit", "1", "--format-notes", "large print")
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "pdf", today="2026-06-01")
    pages = pages_text(out / "review-1_C001_invitation_02-parent.pdf")
    # Invitation (2 pages), cover note (1) and form (2) at 16 point, each page well used.
    assert len(pages) <= 5
    furniture = len("OFFICIAL-SENSITIVE") * 2 + 60
    assert all(len(t) > furniture + 250 for t in pages), [len(t) for t in pages]
