"""c_check.py — is a piece of generated C valid C? The check of bench/quality/bench.sh.

usage: c_check.py FILE...      -> one line per file "ok|bad FILE", then "valid K of N"
                                  (each FILE a `trainer generate` output: its last newline
                                  is generate's own, printed after the sample, not the model's)
       c_check.py --cut N TOKENIZER FILE... -> the real-code ceiling: each FILE from its first
                                  "int main" on, cut to N tokens, then checked the same way

What it does to a sample, and nothing more: the text after an <|endoftext|> is dropped (the
model ended the document), the last line is dropped when the sample stopped inside it (a
partial statement is the cut's, not the model's), an open block comment is closed, and every
"{" still open outside strings, characters and comments gets its "}". Then the common headers
are put in front (the C library's and curl's: the code base's own) and `gcc -fsyntax-only`
decides; warnings are not failures, errors are (an undeclared name, a type error, a syntax
error). Nothing is repaired beyond that.
"""
import os
import subprocess
import sys
import tempfile

HEADERS = ["stdio.h", "stdlib.h", "string.h", "stdint.h", "stddef.h", "errno.h", "time.h",
           "unistd.h", "fcntl.h", "sys/types.h", "sys/stat.h", "sys/time.h", "sys/select.h",
           "signal.h", "ctype.h", "pthread.h", "curl/curl.h"]


def close_braces(text):
    """Counts { } outside strings, characters and comments; returns (depth, in_comment)."""
    depth, i, n = 0, 0, len(text)
    state = None  # None, '"', "'", "/*", "//"
    while i < n:
        c = text[i]
        if state is None:
            if text.startswith("/*", i):
                state, i = "/*", i + 2
                continue
            if text.startswith("//", i):
                state, i = "//", i + 2
                continue
            if c in "\"'":
                state = c
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
        elif state == "/*":
            if text.startswith("*/", i):
                state, i = None, i + 2
                continue
        elif state == "//":
            if c == "\n":
                state = None
        else:
            if c == "\\":
                i += 2
                continue
            if c == state or c == "\n":
                state = None
        i += 1
    return depth, state == "/*"


def prepare(text, complete):
    text = text.split("<|endoftext|>")[0]
    if not complete and "\n" in text:
        text = text[:text.rindex("\n") + 1]
    depth, in_comment = close_braces(text)
    if in_comment:
        text += " */\n"
    if depth < 0:
        return None  # more } than {: not repairable by closing
    head = "".join(f"#include <{h}>\n" for h in HEADERS)
    return head + "#line 1\n" + text + "\n" + "}\n" * depth


def valid(text, complete=False):
    source = prepare(text, complete)
    if source is None:
        return False
    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
        f.write(source)
    try:
        result = subprocess.run(["gcc", "-fsyntax-only", "-w", "-std=gnu11", f.name],
                                capture_output=True)
        return result.returncode == 0
    finally:
        os.unlink(f.name)


def cut_real(files, tokens, tokenizer):
    """Each file from its first "int main", cut to `tokens` tokens of the bench's tokenizer."""
    tr = os.path.join(os.environ["CR_BIN"], "tokenizer")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in files:
            text = open(path, errors="replace").read()
            at = text.find("int main")
            if at < 0:
                continue
            with open(os.path.join(tmp, f"{len(out):04d}.txt"), "w") as f:
                f.write(text[at:])
            out.append(path)
        subprocess.run([tr, "encode", "--tokenizer", tokenizer, "--out", tmp + "/tok", "-q"]
                       + sorted(os.path.join(tmp, x) for x in os.listdir(tmp) if x.endswith(".txt")),
                       check=True)
        import glob
        import numpy as np
        shard = glob.glob(tmp + "/tok/*.bin")[0]
        header = np.fromfile(shard, dtype=np.int32, count=256)
        ids = np.fromfile(shard, dtype=np.uint16 if header[1] == 1 else np.uint32, offset=1024)
        eot = ids[0]
        starts = list(np.flatnonzero(ids == eot)) + [len(ids)]
        texts = []
        for k in range(len(starts) - 1):
            piece = ids[starts[k]:min(starts[k + 1], starts[k] + 1 + tokens)]
            cut = np.concatenate([header.copy(), np.zeros(0, dtype=np.int32)])
            cut[2] = len(piece)
            one = os.path.join(tmp, "one.bin")
            with open(one, "wb") as f:
                f.write(cut.tobytes())
                f.write(piece.astype(np.uint16 if header[1] == 1 else np.uint32).tobytes())
            text = subprocess.run([tr, "decode", "--tokenizer", tokenizer, "--no-special", one],
                                  capture_output=True, check=True).stdout.decode(errors="replace")
            texts.append(text)
    return out, texts


def main():
    args = sys.argv[1:]
    if args and args[0] == "--cut":
        tokens, tokenizer, files = int(args[1]), args[2], args[3:]
        names, texts = cut_real(files, tokens, tokenizer)
    else:
        names = args
        # generate prints a newline after the sample: without it, a sample cut inside its last
        # line ends inside that line, as the real code's cut does, and that line is dropped
        texts = [open(p, errors="replace").read() for p in args]
        texts = [t[:-1] if t.endswith("\n") else t for t in texts]
    good = 0
    for name, text in zip(names, texts):
        ok = valid(text)
        good += ok
        print(("ok " if ok else "bad ") + name)
    print(f"valid {good} of {len(names)}")


if __name__ == "__main__":
    main()
