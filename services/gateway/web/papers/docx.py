"""A printed paper as a DOCX file: `content.Paper` rendered into the package's template
(`giay-to.docx`, made by `layout.py`) with docxtpl, so the committee can edit it before signing."""

from __future__ import annotations

import io
from dataclasses import asdict

from docxtpl import DocxTemplate

from ketnap.services.gateway.web.papers.content import Line, Paper
from ketnap.services.gateway.web.papers.layout import TEMPLATE

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def lines_of(paper: Paper) -> list[Line]:
    """The text in order: the grounds (in italics) then the body."""
    return [*paper.preamble, *paper.body]


def docx_bytes(paper: Paper) -> bytes:
    template = DocxTemplate(str(TEMPLATE))
    template.render({"paper": asdict(paper), "lines": [asdict(line) for line in lines_of(paper)]}, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()
