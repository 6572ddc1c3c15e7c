#!/usr/bin/python3
"""make_corpus.py — the inputs of the end-to-end tests, made fresh in a folder:
  site/        a small linked web site (index + N pages of prose), served by the crawler's
               tests/crawler/server.py --site
  inbox/       local documents (.txt, .md, .c) that pass preprocess's quality filters, plus a
               corrupt HTML file and a binary file that must be quarantined
Every document is distinct (different word draws), so none is rejected as a near-duplicate.
Usage: make_corpus.py DIR [PAGES]"""
import os
import random
import sys

WORDS = ("river stone light garden window morning silver market bridge letter winter music "
         "paper forest harbor candle mountain journey thunder meadow lantern orchard village "
         "compass painter kitchen library shadow feather blanket island chapter whistle "
         "engine planet signal weather ladder mirror basket castle pocket tunnel meadow "
         "quietly carefully slowly brightly gently often always never rarely softly "
         "walks carries finds builds paints reads writes opens closes follows remembers "
         "the a of and to in with under over near beyond across").split()


def prose(rng, sentences):
    out = []
    for _ in range(sentences):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 14))]
        out.append(" ".join(words).capitalize() + ".")
    return " ".join(out)


def main():
    root = sys.argv[1]
    pages = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    rng = random.Random(20261122)
    site = os.path.join(root, "site")
    inbox = os.path.join(root, "inbox")
    os.makedirs(site, exist_ok=True)
    os.makedirs(inbox, exist_ok=True)
    links = "".join('<li><a href="page%d.html">Page %d</a></li>' % (i, i) for i in range(pages))
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<html><head><title>Index</title></head><body><nav><ul>%s</ul></nav>"
                "<main><h1>The index</h1><p>%s</p><p>%s</p></main></body></html>\n"
                % (links, prose(rng, 6), prose(rng, 6)))
    for i in range(pages):
        with open(os.path.join(site, "page%d.html" % i), "w") as f:
            f.write("<html><head><title>Page %d</title></head><body>"
                    "<nav><a href=\"index.html\">Home</a></nav><article><h1>Page %d</h1>"
                    "<p>%s</p><p>%s</p></article><footer>Footer text</footer></body></html>\n"
                    % (i, i, prose(rng, 7), prose(rng, 7)))
    for i in range(3):
        with open(os.path.join(inbox, "note%d.txt" % i), "w") as f:
            f.write(prose(rng, 8) + "\n\n" + prose(rng, 8) + "\n")
    with open(os.path.join(inbox, "readme.md"), "w") as f:
        f.write("# A heading\n\n" + prose(rng, 8) + "\n\n- " + prose(rng, 2) + "\n")
    with open(os.path.join(inbox, "program.c"), "w") as f:
        f.write("/* %s */\n#include <stdio.h>\n\nint main(void)\n{\n" % prose(rng, 3))
        for j in range(12):
            f.write('    printf("%%d %s\\n", %d);\n' % (rng.choice(WORDS), j))
        f.write("    return 0;\n}\n")
    junk = random.Random(7).randbytes(4096)
    with open(os.path.join(inbox, "corrupt.html"), "wb") as f:
        f.write(b"<html><body>" + junk)
    with open(os.path.join(inbox, "blob.txt"), "wb") as f:
        f.write(junk)


if __name__ == "__main__":
    main()
