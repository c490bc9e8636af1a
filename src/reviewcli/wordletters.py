"""Word letters (.docx) from a template an authority can edit in Word (docxtpl).

The letterhead, header, footer, fonts and page set-up come from ``letter.docx``: the
packaged one (built by ``scripts/make_docx_template.py``), or the authority's own copy
in its template folder (``--template-dir`` or the ``template-dir`` setting), edited in
Word. What each letter says comes from the same Jinja templates as the HTML letters
(``invitation-family.html.j2`` …, overridable the same way), turned into Word
paragraphs, headings, lists and tables: the same words in every format.

Escaping: every user string reaches the document as text, written by python-docx or
escaped by docxtpl's autoescaping; nothing of it is read as Word XML or as a template.

Nothing here imports the command-line framework.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser
from pathlib import Path

from .errors import ReviewError

TEMPLATE = "letter.docx"
# The faces of the youngest child's form, as symbols most fonts for Word draw.
FACES = {"Happy": "\U0001f600", "OK": "\U0001f610", "Sad": "\U0001f61e"}


def template_path(template_dir: str | None) -> Path:
    """The authority's letter.docx if its folder has one, else the packaged one."""
    from .templating import packaged_dir

    if template_dir:
        own = Path(template_dir) / TEMPLATE
        if own.is_file():
            return own
    return packaged_dir() / TEMPLATE


class _Body(HTMLParser):
    """The HTML of a letter's body, written into a docx (sub)document: headings,
    paragraphs, bold, line breaks, lists, tables, boxes to write in, and the faces of
    the youngest child's form as symbols."""

    def __init__(self, doc):
        super().__init__(convert_charrefs=True)
        self.doc = doc
        self.par = None
        self.bold = 0
        self.small = 0
        self.list_depth = 0
        self.table = None
        self.row = None
        self.cell = None
        self.cell_par = None
        self.skip = 0  # inside <svg>: its label is written instead
        self.table_grid = True
        self.span_stack: list[bool] = []

    # --- where text goes
    def _target(self):
        if self.cell is not None:
            if self.cell_par is None:
                self.cell_par = self.cell.paragraphs[0]
            return self.cell_par
        if self.par is None:
            self.par = self.doc.add_paragraph()
        return self.par

    def _text(self, text: str) -> None:
        run = self._target().add_run(text)
        if self.bold:
            run.bold = True
        if self.small:
            from docx.shared import Pt

            run.font.size = Pt(9)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.skip:
            if tag == "svg":
                self.skip += 1
            return
        if tag == "svg":
            symbol = FACES.get(attrs.get("aria-label", ""), "")
            if self.table is not None and self.row:
                self.row[-1].append((symbol, None))  # None: a symbol, drawn large
            else:
                self._text(f"{symbol} ")
            self.skip = 1
        elif tag in ("h1", "h2"):
            self.par = self.doc.add_paragraph(style="Heading 1" if tag == "h1" else "Heading 2")
        elif tag == "p":
            if self.cell is not None:
                self.cell_par = self.cell.add_paragraph() if self.cell_par is not None else None
            else:
                self.par = self.doc.add_paragraph()
            if "small" in attrs.get("class", "") or "ref" in attrs.get("class", ""):
                self.small += 1
                self.span_stack.append(True)
            else:
                self.span_stack.append(False)
        elif tag in ("ul", "ol"):
            self.list_depth += 1
        elif tag == "li":
            self.par = self.doc.add_paragraph(style="List Bullet")
        elif tag in ("strong", "b", "th"):
            self.bold += 1
            if tag == "th" and self.row is not None:
                self._new_cell()
        elif tag == "br":
            if self.table is None:  # in a table cell the runs are spaced instead
                self._target().add_run().add_break()
        elif tag == "span":
            small = "small" in attrs.get("class", "")
            self.small += small
            self.span_stack.append(small)
        elif tag == "table":
            self.table = []
            self.table_grid = "details" not in attrs.get("class", "")
        elif tag == "tr":
            self.row = []
            self.table.append(self.row)
        elif tag == "td":
            self._new_cell()
        elif tag == "div" and "answer" in attrs.get("class", ""):
            self._answer_box(attrs.get("style", ""))
        elif tag == "div":
            self.par = None

    def _new_cell(self):
        # Cells are collected as lists of (text, bold) runs and written when the table ends.
        self.row.append([])
        self.cell = None

    def handle_endtag(self, tag):
        if self.skip:
            if tag == "svg":
                self.skip -= 1
            return
        if tag in ("h1", "h2", "li", "div"):
            self.par = None
        elif tag == "p":
            if self.span_stack and self.span_stack.pop():
                self.small -= 1
            self.par = None
        elif tag in ("ul", "ol"):
            self.list_depth -= 1
            self.par = None
        elif tag in ("strong", "b") or tag == "th":
            self.bold -= 1
        elif tag == "span":
            if self.span_stack and self.span_stack.pop():
                self.small -= 1
        elif tag == "table":
            self._write_table()
            self.table = None
            self.row = None
            self.par = None

    def handle_data(self, data):
        if self.skip:
            return
        if self.table is not None:
            if self.row and data.strip():
                self.row[-1].append((" ".join(data.split()), bool(self.bold)))
            return
        text = " ".join(data.split())
        if not text:
            if data and self.par is not None and self.par.runs:
                self._text(" ")
            return
        if data[:1].isspace() and self.par is not None and self.par.runs:
            text = " " + text
        if data[-1:].isspace():
            text += " "
        self._text(text)

    def _write_table(self):
        rows = [r for r in self.table if r]
        if not rows:
            return
        cols = max(len(r) for r in rows)
        table = self.doc.add_table(rows=len(rows), cols=cols)
        if self.table_grid:  # a table of decisions or of faces: ruled; details: plain
            table.style = "Table Grid"
        for i, row in enumerate(rows):
            for j, runs in enumerate(row):
                par = table.cell(i, j).paragraphs[0]
                for k, (text, bold) in enumerate(runs):
                    run = par.add_run(("" if k == 0 else " ") + text)
                    if bold is None:
                        from docx.shared import Pt

                        run.font.size = Pt(20)
                    else:
                        run.bold = bold
        self.doc.add_paragraph()

    def _answer_box(self, style: str):
        import re

        from docx.enum.table import WD_ROW_HEIGHT_RULE
        from docx.shared import Mm

        match = re.search(r"height:\s*(\d+)mm", style)
        table = self.doc.add_table(rows=1, cols=1)
        table.style = "Table Grid"
        table.rows[0].height = Mm(int(match.group(1)) if match else 20)
        table.rows[0].height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        self.par = None


def _page_break(sub) -> None:
    from docx.enum.text import WD_BREAK

    sub.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _fit_window(document, window: dict, page_top: float) -> None:
    """Size the template's first table to the envelope window: the letterhead row ends
    where the window starts, the address row is the window's height."""
    from docx.enum.table import WD_ROW_HEIGHT_RULE
    from docx.shared import Mm

    if not document.tables or len(document.tables[0].rows) < 2:
        return
    first = document.tables[0]
    heights = (Mm(max(window["top"] - page_top, 10)), Mm(window["height"] + 2))
    for row, height in zip(first.rows[:2], heights, strict=True):
        row.height = height
        row.height_rule = WD_ROW_HEIGHT_RULE.EXACTLY


def docx_bytes(bodies: list[str], context: dict, template_dir: str | None) -> bytes:
    """One Word document: ``bodies`` (the HTML of each letter, a page apart) in the
    letter.docx template, its fields filled from ``context``."""
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate, Listing
    from jinja2 import TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    path = template_path(template_dir)
    try:
        tpl = DocxTemplate(str(path))
        tpl.init_docx()
    except (PackageNotFoundError, KeyError, ValueError, OSError) as e:
        raise ReviewError(f"template {path.name}: not a Word document ({e})") from None
    sub = tpl.new_subdoc()
    for i, html in enumerate(bodies):
        if i:
            _page_break(sub)
        parser = _Body(sub)
        parser.feed(html)
        parser.close()
    recipient = context["recipient"]
    authority = context["authority"]
    service = context["service"]
    fields = {
        **context,
        "body": sub,
        "recipient_address": Listing(
            "\n".join(
                [recipient["name"], *recipient["address_lines"]]
                if recipient["address_lines"] or not recipient["email"]
                else [recipient["name"], f"By email: {recipient['email']}"]
            )
        ),
        "from_address": Listing(
            "\n".join(
                [
                    *authority["address_lines"],
                    *([f"Phone {service['phone']}"] if service["phone"] else []),
                    *([service["email"]] if service["email"] else []),
                ]
            )
        ),
    }
    env = SandboxedEnvironment(autoescape=True)
    try:
        tpl.render(fields, jinja_env=env, autoescape=True)
    except TemplateError as e:
        raise ReviewError(f"template {path.name}: {e}") from None
    _fit_window(tpl.docx, context["window"], context["page"]["top"])
    out = io.BytesIO()
    tpl.save(out)
    return out.getvalue()
