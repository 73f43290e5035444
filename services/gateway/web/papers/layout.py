"""Writes the DOCX template every printed paper is rendered from (`giay-to.docx`, a docxtpl
template): the layout of a party document, with Jinja tags where `content.Paper` fills it in.

The template is package data, committed; this module is how it was made and how to change it:
`python -m ketnap.services.gateway.web.papers.layout` writes it again. Editing it by hand in a word
processor works too, as long as each `{%p ... %}` tag stays alone in its paragraph.

Layout (Hướng dẫn 36-HD/VPTW on party documents, as far as a template holds it): A4, margins
2 / 2 / 3 / 1.5 cm, Times New Roman; a borderless two-column heading (organisations, "*", number on
the left; the motto underlined and the place and date in italics on the right); title and subject
centred in bold; the text justified; "Nơi nhận" on the left and who signs on the right.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Pt
from docx.table import _Cell
from docx.text.paragraph import Paragraph

TEMPLATE = Path(__file__).parent / "giay-to.docx"
FONT = "Times New Roman"
REGISTER_COLUMNS = 8


def _para(
    where: _Cell | object, text: str, *, size: int = 14, bold: bool = False, italic: bool = False, underline: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.CENTER, indent: bool = False, after: int = 0,
) -> Paragraph:
    paragraph = where.add_paragraph()  # type: ignore[attr-defined]
    paragraph.alignment = align
    paragraph.paragraph_format.space_after = Pt(after)
    if indent:
        paragraph.paragraph_format.first_line_indent = Cm(1)
    run = paragraph.add_run(text)
    run.font.name, run.font.size, run.bold, run.italic, run.underline = FONT, Pt(size), bold, italic, underline
    return paragraph


def _tag(where: _Cell | object, tag: str) -> None:
    _para(where, tag, align=None)


def _borderless(table: object) -> None:
    table.style = None  # type: ignore[attr-defined]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER  # type: ignore[attr-defined]


def _first(cell: _Cell, text: str, **style: object) -> None:
    """A cell's own first paragraph holds its first line (a new cell has one, empty)."""
    paragraph = cell.paragraphs[0]
    paragraph.alignment = style.pop("align", WD_ALIGN_PARAGRAPH.CENTER)  # type: ignore[assignment]
    run = paragraph.add_run(text)
    run.font.name, run.font.size = FONT, Pt(int(style.pop("size", 14)))  # type: ignore[arg-type]
    run.bold, run.italic, run.underline = bool(style.get("bold")), bool(style.get("italic")), bool(style.get("underline"))


def write(path: Path = TEMPLATE) -> Path:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin, section.left_margin, section.right_margin = Cm(2), Cm(2), Cm(3), Cm(1.5)
    normal = document.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(14)  # type: ignore[attr-defined]

    heading = document.add_table(rows=1, cols=2)
    _borderless(heading)
    left, right = heading.rows[0].cells
    _first(left, "{{ paper.upper }}", size=13)
    _para(left, "{{ paper.issuer }}", bold=True)
    _para(left, "*")
    _para(left, "{{ paper.number }}")
    _first(right, "ĐẢNG CỘNG SẢN VIỆT NAM", bold=True, underline=True, size=15)
    _para(right, "")
    _para(right, "{{ paper.place_date }}", italic=True, align=WD_ALIGN_PARAGRAPH.RIGHT)

    _para(document, "")
    _para(document, "{{ paper.title }}", size=15, bold=True)
    _para(document, "{{ paper.subject }}", bold=True, after=12)

    _tag(document, "{%p for line in lines %}")
    _tag(document, "{%p if line.centered %}")
    _para(document, "{{ line.text }}", bold=True, after=6)
    _tag(document, "{%p elif line.italic %}")
    _para(document, "{{ line.text }}", italic=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=3)
    _tag(document, "{%p else %}")
    _para(document, "{{ line.text }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True, after=6)
    _tag(document, "{%p endif %}")
    _tag(document, "{%p endfor %}")

    _tag(document, "{%p if paper.table %}")
    register = document.add_table(rows=4, cols=REGISTER_COLUMNS)
    register.style = "Table Grid"
    for i, cell in enumerate(register.rows[0].cells):
        _first(cell, f"{{{{ paper.table.columns[{i}] }}}}", size=11, bold=True)
    _first(register.rows[1].cells[0], "{%tr for row in paper.table.rows %}", size=11)
    for i, cell in enumerate(register.rows[2].cells):
        _first(cell, f"{{{{ row[{i}] }}}}", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _first(register.rows[3].cells[0], "{%tr endfor %}", size=11)
    _tag(document, "{%p endif %}")

    _para(document, "")
    signature = document.add_table(rows=1, cols=2)
    _borderless(signature)
    sent, signs = signature.rows[0].cells
    _first(sent, "{% if paper.recipients %}Nơi nhận:{% endif %}", size=12, bold=True, italic=True, align=WD_ALIGN_PARAGRAPH.LEFT)
    _tag(sent, "{%p for to in paper.recipients %}")
    _para(sent, "- {{ to }},", size=11, align=WD_ALIGN_PARAGRAPH.LEFT)
    _tag(sent, "{%p endfor %}")
    _first(signs, "{{ paper.sign_for }}", bold=True)
    _para(signs, "{{ paper.sign_title }}", bold=True)
    _para(signs, "{{ paper.sign_note }}", size=12, italic=True)
    for _ in range(3):
        _para(signs, "")
    document.save(str(path))
    return path


if __name__ == "__main__":
    print(write())
