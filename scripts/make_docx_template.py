"""Build templates/letter.docx: the Word letter template (docxtpl) the packaged letters use.

An authority copies it into its template folder and edits it in Word: the letterhead,
fonts, colours, header and footer are theirs to change; the fields in double braces are
filled in for each letter:

    {{ marking }}            the protective marking (header and footer of every page)
    {{ authority.name }}     the authority's name; {{ from_address }} its address lines
    {{ recipient_address }}  the recipient's name and address (in the envelope window)
    {{ dated }}              the letter's date
    {{ reference }}          the review's reference, in the footer after the first page
    {{p body }}              the letters themselves, from the same templates as the HTML

The first table's two rows are sized to the envelope-window policy setting when a letter
is written (letterhead above the window, then the window), so the address shows through
a DL or C5 window envelope.

Run: .venv/bin/python scripts/make_docx_template.py
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_ROW_HEIGHT_RULE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent / "templates" / "letter.docx"
BLUE = RGBColor(0x1D, 0x4E, 0x89)


def page_field(paragraph) -> None:
    """A PAGE field: Word fills in the page number."""
    run = paragraph.add_run()
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), tag)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def centred(part, text: str, *, bold: bool = True, size: float = 9) -> None:
    p = part.paragraphs[0] if part.paragraphs and not part.paragraphs[0].text else None
    p = p or part.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run(text)
    run.bold = bold
    run.font.size = Pt(size)


def main() -> None:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(15), Mm(20)
    section.left_margin = section.right_margin = Mm(20)
    section.header_distance = section.footer_distance = Mm(7)
    section.different_first_page_header_footer = True
    styles = doc.styles
    styles["Normal"].font.name = "Arial"
    styles["Normal"].font.size = Pt(10.5)
    for name, size in (("Heading 1", 15), ("Heading 2", 12)):
        styles[name].font.name = "Arial"
        styles[name].font.size = Pt(size)
        styles[name].font.color.rgb = BLUE

    centred(section.first_page_header, "{{ marking }}")
    centred(section.first_page_footer, "{{ marking }}")
    centred(section.header, "{{ marking }}")
    centred(section.footer, "{{ marking }}")
    footer = section.footer.add_paragraph()
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("{{ reference }} · page ").font.size = Pt(8.5)
    page_field(footer)

    table = doc.add_table(rows=2, cols=2)
    table.autofit = False
    widths = (Mm(95), Mm(75))
    for row, height in zip(table.rows, (Mm(33), Mm(37)), strict=True):
        row.height = height
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    head = table.cell(0, 0).paragraphs[0]
    name = head.add_run("{{ authority.name }}")
    name.bold = True
    name.font.size = Pt(13)
    name.font.color.rgb = BLUE
    table.cell(0, 0).add_paragraph("Independent Review Unit")
    address = table.cell(1, 0).paragraphs[0]
    address.paragraph_format.left_indent = Mm(4)
    address.add_run("{{ recipient_address }}")
    sender = table.cell(1, 1).paragraphs[0]
    sender.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = sender.add_run("{{ from_address }}")
    run.font.size = Pt(9)
    dated = doc.add_paragraph("{{ dated }}")
    dated.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph("{{p body }}")
    doc.core_properties.title = "Letter"
    doc.core_properties.author = "Independent Review Unit"
    doc.save(OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
