# corpus.py — builds the benchmark corpus from text already on a Debian machine (no network):
# the Python HTML documentation (python3.11-doc) turned into plain text, one document per
# page; without it, every text file under /usr/share/doc (gzip'd ones unpacked). Every 10th
# document goes to heldout/ (compression is measured there), the rest to train/, until train/
# holds at least MIN_MB megabytes. usage: /usr/bin/python3 corpus.py OUT_DIR [MIN_MB]
import gzip
import html.parser
import os
import sys

out, min_mb = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 11.0


class TextOf(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in ("p", "div", "br", "li", "h1", "h2", "h3", "pre", "tr", "dt", "dd"):
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def documents():
    root = "/usr/share/doc/python3.11/html"
    if os.path.isdir(root):
        for folder, dirs, files in sorted(os.walk(root)):
            dirs.sort()
            for name in sorted(files):
                if name.endswith(".html"):
                    parser = TextOf()
                    parser.feed(open(os.path.join(folder, name), encoding="utf-8", errors="replace").read())
                    text = "".join(parser.parts)
                    lines = [line.rstrip() for line in text.split("\n")]
                    text = "\n".join(lines)
                    while "\n\n\n" in text:
                        text = text.replace("\n\n\n", "\n\n")
                    yield text.strip() + "\n"
    for folder, dirs, files in sorted(os.walk("/usr/share/doc")):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            try:
                raw = gzip.open(path).read() if name.endswith(".gz") else open(path, "rb").read()
                text = raw.decode("utf-8")
            except (OSError, UnicodeDecodeError, EOFError):
                continue
            if "\0" not in text and len(text) > 200:
                yield text


os.makedirs(os.path.join(out, "train"), exist_ok=True)
os.makedirs(os.path.join(out, "heldout"), exist_ok=True)
train_bytes = 0
for index, text in enumerate(documents()):
    part = "heldout" if index % 10 == 9 else "train"
    data = text.encode("utf-8")
    with open(os.path.join(out, part, "%05d.txt" % index), "wb") as f:
        f.write(data)
    if part == "train":
        train_bytes += len(data)
    if train_bytes >= min_mb * 1e6:
        break
print("corpus: %.1f MB of training text in %s" % (train_bytes / 1e6, out))
