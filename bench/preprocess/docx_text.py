#!/usr/bin/python3
"""docx_text.py FILE... — the python-docx reference for the DOCX throughput bench: every
paragraph of the body and of each table cell, printed, one process for all files."""
import sys

import docx

for path in sys.argv[1:]:
    d = docx.Document(path)
    out = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            out.extend(cell.text for cell in row.cells)
    sys.stdout.write("\n\n".join(out) + "\n")
