"""Print-ready PDF from the HTML letters and reports, with WeasyPrint.

WeasyPrint lays out CSS paged media itself (``@page`` margin boxes, running strings, page
counters, fixed boxes), needs no browser, and installs from the package index (it uses
the pango library found on every supported desktop and server image). The letters'
page furniture — the protective marking on every page, the reference and page number on
every page after the first, the address in the envelope window — is in the templates'
own style sheet (``letter.html.j2``); a report gets the marking and page numbers from the
style sheet added here.

Every user string reaches the PDF as text of the HTML, already escaped by the templates:
nothing of it is ever read as mark-up or as CSS.

Nothing here imports the command-line framework.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from markupsafe import escape

# WeasyPrint reports CSS it does not support (screen-only rules of the templates) on its
# logger; a letter run should not print them.
logging.getLogger("weasyprint").setLevel(logging.ERROR)
logging.getLogger("fontTools").setLevel(logging.ERROR)


def render(html: str):
    """Lay out one HTML document into pages (a WeasyPrint ``Document``)."""
    from weasyprint import HTML

    return HTML(string=html, base_url=None).render()


def blank_page(marking: str):
    """The page that pads a letter to an even number of pages in a combined file, so the
    next recipient's letter starts on a fresh sheet when printed on both sides."""
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><style>"
        "@page { size: A4; margin: 15mm 20mm 20mm 20mm;"
        " @top-center { content: string(marking); font: bold 9pt Arial, sans-serif; }"
        " @bottom-center { content: string(marking); font: bold 9pt Arial, sans-serif; } }"
        "body { string-set: marking attr(data-marking); }"
        "p { margin-top: 120mm; text-align: center; font: 10pt Arial, sans-serif; color: #666; }"
        f"</style></head><body data-marking='{escape(marking)}'>"
        "<p>This page is intentionally blank.</p></body></html>"
    )
    return render(html)


def join(documents: Iterable, *, pad_each: bool = False, marking: str = "") -> tuple[bytes, list]:
    """One PDF of the pages of ``documents`` in order. With ``pad_each`` each document is
    padded with a blank page to an even number of pages, so each starts on an odd page.
    Returns the PDF and the page count of each document (padding included)."""
    pages = []
    counts = []
    blank = None
    first = None
    for doc in documents:
        first = first or doc
        count = len(doc.pages)
        pages += doc.pages
        if pad_each and count % 2:
            blank = blank or blank_page(marking)
            pages += blank.pages
            count += 1
        counts.append(count)
    if first is None:
        raise ValueError("no pages to write")
    return first.copy(pages).write_pdf(), counts


REPORT_STYLE = """
@page {{
  @top-center {{ content: "{marking}"; font: bold 9pt Arial, Helvetica, sans-serif; }}
  @bottom-center {{ content: "{marking}"; font: bold 9pt Arial, Helvetica, sans-serif; }}
  @bottom-left {{ content: "{title}"; font: 8.5pt Arial, Helvetica, sans-serif; color: #444; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages);
                   font: 8.5pt Arial, Helvetica, sans-serif; color: #444; }}
}}
"""


def css_string(value: str) -> str:
    """``value`` as the inside of a double-quoted CSS string: every character that could
    end the string, the rule or the style element is written as a CSS escape."""
    out = []
    for ch in value:
        if ch.isalnum() or ch in " -_.,:;()/&'+":
            out.append(ch)
        else:
            out.append(f"\\{ord(ch):06x}")
    return "".join(out)


def report_pdf(html: str, *, marking: str, title: str) -> bytes:
    """A report's HTML as PDF: the protective marking at the top and foot of every page,
    the report's title and the page number at the foot."""
    from weasyprint import CSS, HTML

    style = CSS(string=REPORT_STYLE.format(marking=css_string(marking), title=css_string(title)))
    return HTML(string=html, base_url=None).write_pdf(stylesheets=[style])
