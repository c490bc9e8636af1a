"""Word letters (--format docx) from the letter.docx template (docxtpl): the same words as
the HTML letters, the letterhead and marking from the template, the address sized to the
envelope window, an authority's own template from its folder, every user string as
text."""

from __future__ import annotations

import shutil
import zipfile

from docx import Document

from reviewcli.templating import packaged_dir
from test_letters import HOSTILE, case, held  # noqa: F401  (fixtures)


def text_of(path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [c.text for c in row.cells]
    return " ".join(" ".join(parts).split())


def test_docx_letters_carry_the_same_content(case, tmp_path):  # noqa: F811
    out = tmp_path / "o"
    line = case.line(
        "letters", "invite", "1", "--out", str(out), "--format", "docx", today="2026-06-01"
    )
    assert line == f"Wrote 3 invitation letters and 1 email message for review 1 to {out}."
    path = out / "review-1_C001_invitation_02-parent.docx"
    text = text_of(path)
    for expected in (
        "Northshire County Council",
        "Independent Review Unit",
        "Mary Ash 1 High Street Northtown NT2 2BB",
        "Monday 1 June 2026",
        "Reference C001 review 1",
        "Invitation to Amy’s review",
        "Dear Mary Ash,",
        "Thursday 18 June 2026",
        "Consultation papers for Amy’s review",
        "Consultation form: Amy’s review",
    ):
        assert expected in text, expected
    doc = Document(str(path))
    section = doc.sections[0]
    assert [p.text for p in section.first_page_header.paragraphs] == ["OFFICIAL-SENSITIVE"]
    assert [p.text for p in section.header.paragraphs] == ["OFFICIAL-SENSITIVE"]
    footer = " ".join(p.text for p in section.footer.paragraphs)
    assert "OFFICIAL-SENSITIVE" in footer and "C001 review 1 · page" in footer
    assert "PAGE" in section.footer._element.xml  # the page number field
    # Invitation, cover note and form each start on a new page.
    assert doc.element.body.xml.count('w:type="page"') == 2


def test_address_rows_follow_the_envelope_window(case, tmp_path):  # noqa: F811
    case.ok("policy", "set", "envelope-window", "C5")
    out = tmp_path / "o"
    case.ok("letters", "invite", "1", "--out", str(out), "--format", "docx", today="2026-06-01")
    table = Document(str(out / "review-1_C001_invitation_03-carer.docx")).tables[0]
    head, window = (round(r.height.mm) for r in table.rows[:2])
    assert (head, window) == (47 - 15, 45 + 2)  # window top less the top margin; its height
    assert "Pat and Chris Jones" in table.cell(1, 0).text


def test_authority_template_from_the_override_folder(case, tmp_path):  # noqa: F811
    folder = tmp_path / "own"
    folder.mkdir()
    own = folder / "letter.docx"
    shutil.copy(packaged_dir() / "letter.docx", own)
    doc = Document(str(own))
    doc.add_paragraph("Northshire Children's Services — {{ authority.name }} footer note")
    doc.save(str(own))
    out = tmp_path / "o"
    case.ok(
        "letters", "invite", "1", "--out", str(out), "--format", "docx",
        "--template-dir", str(folder), today="2026-06-01",
    )  # fmt: skip
    text = text_of(out / "review-1_C001_invitation_02-parent.docx")
    assert "Northshire Children's Services — Northshire County Council footer note" in text
    assert "Dear Mary Ash," in text
    (folder / "letter.docx").write_bytes(b"not a word file")
    message = case.refused(
        "letters", "invite", "1", "--out", str(tmp_path / "x"), "--format", "docx",
        "--template-dir", str(folder), today="2026-06-01",
    )  # fmt: skip
    assert "template letter.docx: not a Word document" in message
    assert not (tmp_path / "x").exists()


def test_hostile_strings_stay_text_in_word(world, tmp_path):
    world.ok(
        "child", "add", "C666", "--first-name", HOSTILE[1], "--last-name", HOSTILE[0],
        "--dob", "2012-01-01", today="2026-06-01",
    )  # fmt: skip
    world.ok("episode", "start", "C666", "--date", "2026-06-01", today="2026-06-01")
    world.ok("allocate", "C666", "IRO1", "--date", "2026-06-01", today="2026-06-01")
    nasty = "{{ 7*7 }} {% if 1 %}x{% endif %} ]]></w:t><w:t>&amp"  # no ";": a new line
    world.ok("contact", "add", "C666", HOSTILE[0], "--role", "parent", "--address", nasty)
    world.ok("policy", "set", "authority-name", "<w:p>{{ marking }}</w:p>")
    world.ok(
        "review", "schedule", "C666", "--date", "2026-06-26", "--venue", HOSTILE[0],
        today="2026-06-01",
    )  # fmt: skip
    out = tmp_path / "o"
    world.ok("letters", "invite", "1", "--out", str(out), "--format", "docx", today="2026-06-01")
    path = out / "review-1_C666_invitation_02-parent.docx"
    text = text_of(path)
    assert HOSTILE[0] in text and HOSTILE[1] in text  # shown as typed
    assert nasty in text  # no template or XML read from it
    assert "<w:p>{{ marking }}</w:p>" in text
    assert "49" not in text.split("Reference")[0]
    with zipfile.ZipFile(path) as z:
        xml = z.read("word/document.xml").decode()
    assert "<script>" not in xml and "&lt;script&gt;" in xml


def test_decisions_and_intro_as_docx(held, tmp_path):  # noqa: F811
    out = tmp_path / "o"
    held.ok(
        "letters", "decisions", "1", "--out", str(out), "--format", "docx", "--absent", "2",
        today="2026-06-19",
    )  # fmt: skip
    text = text_of(out / "review-1_C001_decisions_03-carer.docx")
    assert "Arrange fortnightly contact with Amy's mother at the family centre" in text
    assert "Update the Personal Education Plan" in text
    held.ok("letters", "intro", "C001", "--out", str(out), "--format", "docx", today="2026-06-19")
    assert "Dear Amy," in text_of(out / "C001_iro-introduction.docx")


def test_combined_docx(case, tmp_path):  # noqa: F811
    out = tmp_path / "o"
    line = case.line(
        "letters", "invite", "1", "--out", str(out), "--format", "docx", "--combined",
        today="2026-06-01",
    )  # fmt: skip
    assert line.startswith("Wrote 3 invitation letters and 1 email message for review 1 to ")
    text = text_of(out / "review-1_invitations.docx")
    for name in ("Dear Amy,", "Dear Mary Ash,", "Dear Pat and Chris Jones,"):
        assert name in text
