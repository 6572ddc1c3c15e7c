#!/usr/bin/python3
"""quality.py — word-level extraction quality against the marked-up main region.

For every page that has a div[role=main] (Sphinx marks the content of the Python docs so),
the reference is that region's text. Each extractor's text is compared to it as a bag of
words (lower-cased \\w+ runs): precision, recall and F1 per page, averaged over the pages.
Extractors: preprocess (its clean/<id>.txt, found through its --json report), html2text
(Debian, one process per page) and python3-readability (Document.summary, then its text).
A fourth line scores preprocess on copies of the pages with role="main" removed, so that its
text-density fallback is measured too (those copies are under UNMARKED_DIR, same layout as
DOCS_DIR).
Usage: quality.py PAGE_LIST PREPROCESS_JSON OUT_DIR [DOCS_DIR UNMARKED_JSON UNMARKED_OUT_DIR UNMARKED_DIR]
"""
import collections
import json
import re
import subprocess
import sys

import lxml.html
from readability import Document

WORD = re.compile(r"\w+")


def words(text):
    return collections.Counter(WORD.findall(text.lower()))


def scores(candidate, reference):
    common = sum((candidate & reference).values())
    got, want = sum(candidate.values()), sum(reference.values())
    p = common / got if got else 0.0
    r = common / want if want else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def reference_text(raw):
    root = lxml.html.fromstring(raw)
    regions = root.xpath('//div[@role="main"]')
    if not regions:
        return None
    for bad in regions[0].xpath(".//script|.//style"):
        bad.drop_tree()
    return regions[0].text_content()


def readability_text(raw):
    summary = Document(raw).summary(html_partial=True)
    return lxml.html.fromstring(summary).text_content() if summary.strip() else ""


def html2text_text(path):
    out = subprocess.run(["html2text", "-utf8", "-nobs", path], capture_output=True)
    return out.stdout.decode("utf-8", "replace")


def main():
    pages = [line.strip() for line in open(sys.argv[1]) if line.strip()]
    report = json.load(open(sys.argv[2]))
    out_dir = sys.argv[3]
    ours = {d["input"]: d for d in report["documents"]}
    names = ["preprocess", "html2text", "readability"]
    unmarked = None
    if len(sys.argv) > 7:
        docs_dir, unmarked_out, unmarked_dir = sys.argv[4], sys.argv[6], sys.argv[7]
        unmarked = {d["input"]: d for d in json.load(open(sys.argv[5]))["documents"]}
        names.append("preprocess, role=main removed")
    totals = {name: [0.0, 0.0, 0.0] for name in names}
    counted = 0
    for path in pages:
        raw = open(path, "rb").read().decode("utf-8", "replace")
        ref_text = reference_text(raw)
        if ref_text is None:
            continue
        reference = words(ref_text)
        if not reference:
            continue
        doc = ours.get(path)
        mine = ""
        if doc and doc["status"] == "kept":
            mine = open(f"{out_dir}/{doc['id']}.txt", encoding="utf-8").read()
        density = ""
        if unmarked is not None:
            copy = unmarked_dir + path[len(docs_dir):]
            udoc = unmarked.get(copy)
            if udoc and udoc["status"] == "kept":
                density = open(f"{unmarked_out}/{udoc['id']}.txt", encoding="utf-8").read()
        texts = {
            "preprocess": mine,
            "html2text": html2text_text(path),
            "readability": readability_text(raw),
        }
        if unmarked is not None:
            texts["preprocess, role=main removed"] = density
        for name, text in texts.items():
            p, r, f = scores(words(text), reference)
            totals[name][0] += p
            totals[name][1] += r
            totals[name][2] += f
        counted += 1
    print(f"extraction quality on {counted} pages with div[role=main] (mean per page):")
    print(f"  {'extractor':<30} {'precision':>9} {'recall':>7} {'F1':>7}")
    for name, (p, r, f) in totals.items():
        print(f"  {name:<30} {p / counted:9.3f} {r / counted:7.3f} {f / counted:7.3f}")
    for mine in [n for n in names if n.startswith("preprocess")]:
        for name in ("html2text", "readability"):
            other = totals[name][2]
            print(f"  F1 {mine} / {name}: {totals[mine][2] / other:.2f}x" if other else f"  {name}: no text")


if __name__ == "__main__":
    main()
