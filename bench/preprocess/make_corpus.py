#!/usr/bin/python3
"""make_corpus.py SOURCES OUT COUNT — PDFs (reportlab) and DOCX files (python-docx) for the
throughput bench, written from the reStructuredText sources of the Python docs: the first COUNT
files over 20 KB, one PDF and one DOCX each, paragraphs as written (blank-line separated)."""
import os
import sys

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate
from xml.sax.saxutils import escape
import docx

sources, out, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(os.path.join(out, "pdf"), exist_ok=True)
os.makedirs(os.path.join(out, "docx"), exist_ok=True)
files = []
for root, _, names in os.walk(sources):
    for name in sorted(names):
        path = os.path.join(root, name)
        if name.endswith(".txt") and os.path.getsize(path) > 20000:
            files.append(path)
files.sort()
styles = getSampleStyleSheet()
for number, path in enumerate(files[:count]):
    with open(path, encoding="utf-8", errors="replace") as f:
        paragraphs = [" ".join(p.split()) for p in f.read().split("\n\n") if p.strip()]
    stem = "doc%03d" % number
    story = [Paragraph(escape(p), styles["BodyText"]) for p in paragraphs]
    SimpleDocTemplate(os.path.join(out, "pdf", stem + ".pdf"), pagesize=A4,
                      title=os.path.basename(path)).build(story)
    d = docx.Document()
    d.core_properties.title = os.path.basename(path)
    for p in paragraphs:
        d.add_paragraph(p)
    d.save(os.path.join(out, "docx", stem + ".docx"))
