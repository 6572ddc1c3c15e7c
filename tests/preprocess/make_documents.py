#!/usr/bin/python3
"""make_documents.py OUT_DIR [KIND...] — builds the documents test_documents.sh feeds to
preprocess: PDFs with reportlab (running headers, page numbers, a hyphenated line end, a
paragraph across a page break, metadata title; encrypted; image-only), a DOCX with python-docx,
an ODT and an EPUB zipped by hand, and the hostile ones (a ZIP bomb, 20,000 entries, a PDF of
10,000 pages, a PDF with many objects). Written by Debian's tools only; no network."""
import io
import os
import sys
import zipfile

out = sys.argv[1]
kinds = set(sys.argv[2:])
os.makedirs(out, exist_ok=True)


def want(kind):
    return not kinds or kind in kinds


def path(name):
    return os.path.join(out, name)


# ---- PDF: three pages drawn line by line, so that the expected text is known exactly ----------
def pdf_pages():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path("report.pdf"), pagesize=A4)
    c.setTitle("Ageing Cheese: a Field Guide")
    footers = ["1", "- 2 -", "Page 3 of 3"]
    pages = [
        [("Helvetica-Bold", 18, "Ageing Cheese"),
         None,
         ("Helvetica", 11, "Cheese ages slowly in cool caves where the humid-"),
         ("Helvetica", 11, "ity stays high and the rind grows thick over many"),
         ("Helvetica", 11, "months of careful turning."),
         None,
         ("Helvetica", 11, "A second paragraph starts after a gap and then it"),
         ("Helvetica", 11, "goes on to the next line until it ends here.")],
        [("Helvetica", 11, "The well-known caves of Roquefort hold the blue"),
         ("Helvetica", 11, "mould that gives the cheese its veins."),
         None,
         ("Helvetica", 11, "In the cellar the master turns each wheel by hand"),
         ("Helvetica", 11, "and he writes the date of each turn in a ledger and")],
        [("Helvetica", 11, "checks the rind of every wheel once a week."),
         None,
         ("Helvetica", 11, "Nothing is hurried in a cave."),
         ("Helvetica", 11, "Patience is the last ingredient of a good cheese.")],
    ]
    for number, lines in enumerate(pages):
        c.setFont("Helvetica", 9)
        c.drawString(72, 800, "Cheese Monthly, Issue 7")
        c.drawString(290, 40, footers[number])
        y = 740
        for line in lines:
            if line is None:
                y -= 14
                continue
            font, size, text = line
            c.setFont(font, size)
            c.drawString(72, y, text)
            y -= size + 3 if size > 11 else 14
            if size > 11:
                y -= 10
        c.showPage()
    c.save()


def pdf_encrypted():
    from reportlab.lib import pdfencrypt
    from reportlab.pdfgen import canvas

    enc = pdfencrypt.StandardEncryption("secret", ownerPassword="owner", canPrint=0)
    c = canvas.Canvas(path("locked.pdf"), encrypt=enc)
    c.drawString(72, 720, "Nobody should read this without the password.")
    c.showPage()
    c.save()


def pdf_image_only():
    from reportlab.pdfgen import canvas

    c = canvas.Canvas(path("scan.pdf"))
    for page in range(2):
        for row in range(20):
            c.rect(72, 100 + row * 30, 400 - row * 7, 12, fill=1)
        c.showPage()
    c.save()


def raw_pdf(objects, name):
    """A PDF from object bodies (1-based numbers), with a correct xref table."""
    buf = io.BytesIO()
    buf.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(buf.tell())
        buf.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = buf.tell()
    buf.write(b"xref\n0 %d\n" % (len(objects) + 1))
    buf.write(b"0000000000 65535 f \n")
    for offset in offsets:
        buf.write(b"%010d 00000 n \n" % offset)
    buf.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    with open(path(name), "wb") as f:
        f.write(buf.getvalue())


def pdf_many_pages(page_count=10000, variants=10):
    # 1 catalog, 2 pages, 3 font, 4..4+variants-1 content streams, then the pages
    first_page = 4 + variants
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" +
               b" ".join(b"%d 0 R" % (first_page + i) for i in range(page_count)) +
               b"] /Count %d >>" % page_count,
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    words = [b"apples", b"barley", b"cherries", b"dates", b"elderberries", b"figs", b"grapes",
             b"hazelnuts", b"iris roots", b"juniper"][:variants]
    for v in range(variants):
        stream = b"BT /F1 12 Tf 72 720 Td (This page of a very long book is about %s.) Tj ET" % words[v]
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    for i in range(page_count):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>"
                       % (4 + i % variants))
    raw_pdf(objects, "book10000.pdf")


def pdf_many_objects(count):
    stream = b"BT /F1 12 Tf 72 720 Td (A page among very many objects.) Tj ET"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
               b"/Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"]
    objects += [b"[%d]" % i for i in range(count)]
    raw_pdf(objects, "objects.pdf")


# ---- DOCX with python-docx ---------------------------------------------------------------
def docx():
    import docx as pydocx

    d = pydocx.Document()
    d.core_properties.title = "Notes on Bread"
    d.add_heading("Sourdough", level=1)
    d.add_paragraph("A starter is flour and water left to ferment for several days.")
    d.add_paragraph("Feed it every day", style="List Bullet")
    d.add_paragraph("Keep it warm", style="List Bullet")
    table = d.add_table(rows=2, cols=2)
    for r, row in enumerate([["Flour", "Water"], ["500 g", "350 g"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    p = d.add_paragraph("Bake at a ")
    p.add_run("high").bold = True
    p.add_run(" heat.")
    d.save(path("bread.docx"))


def docx_revisions():
    """Tracked deletions and a fallback copy (mc:Fallback), neither of which is the text."""
    import docx as pydocx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    mc = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    d = pydocx.Document()
    p = d.add_paragraph("Proof the dough ")
    p._p.append(parse_xml('<w:del %s w:id="1" w:author="a" w:date="2024-01-01T00:00:00Z">'
                          '<w:r><w:delText>overnight </w:delText></w:r></w:del>' % w))
    p.add_run("for four hours.")
    p = d.add_paragraph("Then ")
    p._p.append(parse_xml('<w:r %s %s><mc:AlternateContent><mc:Choice Requires="w14">'
                          '<w:t>let it rest</w:t></mc:Choice><mc:Fallback><w:t>let it rest'
                          '</w:t></mc:Fallback></mc:AlternateContent></w:r>' % (w, mc)))
    p.add_run(" briefly.")
    d.save(path("revisions.docx"))


# ---- ODT and EPUB, zipped by hand (mimetype first and stored, as the formats require) -----
def zipped(name, members, stored_first="mimetype"):
    with zipfile.ZipFile(path(name), "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in members:
            kind = zipfile.ZIP_STORED if member == stored_first else zipfile.ZIP_DEFLATED
            z.writestr(member, data, compress_type=kind)


ODT_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" office:version="1.2">
 <office:body>
  <office:text>
   <text:sequence-decls><text:sequence-decl text:display="none" text:name="Table"/></text:sequence-decls>
   <text:h text:outline-level="1">Tea Leaves</text:h>
   <text:p>Green tea is <text:span>steamed</text:span> or pan-fired<text:note><text:note-citation>1</text:note-citation><text:note-body><text:p>A footnote.</text:p></text:note-body></text:note> soon after picking.</text:p>
   <text:p>Two<text:s/>spaces and a<text:tab/>tab.<text:line-break/>A new line.</text:p>
   <text:list>
    <text:list-item><text:p>Sencha</text:p></text:list-item>
    <text:list-item><text:p>Gyokuro</text:p></text:list-item>
   </text:list>
   <table:table table:name="T">
    <table:table-row><table:table-cell><text:p>Kind</text:p></table:table-cell><table:table-cell><text:p>Minutes</text:p></table:table-cell></table:table-row>
    <table:table-row><table:table-cell><text:p>Black</text:p></table:table-cell><table:table-cell><text:p>4</text:p></table:table-cell></table:table-row>
   </table:table>
   <text:p>Brew with water just off the boil.</text:p>
  </office:text>
 </office:body>
</office:document-content>
"""

ODT_META = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><office:meta><dc:title>A Tea Primer</dc:title></office:meta></office:document-meta>
"""


def odt():
    zipped("tea.odt", [("mimetype", "application/vnd.oasis.opendocument.text"),
                       ("content.xml", ODT_CONTENT), ("meta.xml", ODT_META),
                       ("META-INF/manifest.xml", "<manifest/>")])


CHAPTER = """<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{title}</title></head>
<body><h1>{title}</h1>{paragraphs}</body></html>
"""


def epub():
    opf = """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
 <metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>The River Book</dc:title></metadata>
 <manifest>
  <item id="c1" href="Text/one%20a.xhtml" media-type="application/xhtml+xml"/>
  <item id="c2" href="Text/two.xhtml" media-type="application/xhtml+xml"/>
  <item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
 </manifest>
 <spine><itemref idref="c2"/><itemref idref="c1"/><itemref idref="nav" linear="no"/></spine>
</package>
"""
    one = CHAPTER.format(title="The Source", paragraphs=(
        "<p>The river begins as a spring high in the hills, cold and clear.</p>"
        "<p>It gathers rain from a hundred small streams on its way down.</p>"))
    two = CHAPTER.format(title="The Delta", paragraphs=(
        "<p>At the coast the river slows and spreads into a wide delta of reeds.</p>"))
    zipped("river.epub", [
        ("mimetype", "application/epub+zip"),
        ("META-INF/container.xml",
         '<?xml version="1.0"?><container version="1.0" '
         'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
         '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
         "</rootfiles></container>"),
        ("OEBPS/content.opf", opf),
        ("OEBPS/Text/one a.xhtml", one),
        ("OEBPS/Text/two.xhtml", two),
        ("OEBPS/nav.xhtml", CHAPTER.format(title="Contents", paragraphs="<p>Nav only.</p>"))])


# ---- hostile archives ---------------------------------------------------------------------
def zip_bomb():
    # 200 MB of zeros deflate to ~200 KB: a ratio of 1000:1
    with zipfile.ZipFile(path("bomb.docx"), "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * (1 << 20)
            for _ in range(200):
                member.write(block)


def many_entries():
    with zipfile.ZipFile(path("entries.docx"), "w", zipfile.ZIP_STORED) as z:
        z.writestr("word/document.xml", "<w:document/>")
        for i in range(20000):
            z.writestr("e/%d" % i, b"")


builders = {"pdf": pdf_pages, "encrypted": pdf_encrypted, "image": pdf_image_only,
            "docx": docx, "revisions": docx_revisions, "odt": odt, "epub": epub, "bomb": zip_bomb, "entries": many_entries,
            "pages": pdf_many_pages, "objects": lambda: pdf_many_objects(int(os.environ.get("PP_OBJECTS", "300000")))}
for kind, build in builders.items():
    if want(kind):
        build()
