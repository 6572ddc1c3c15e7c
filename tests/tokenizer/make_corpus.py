# make_corpus.py — writes varied UTF-8 documents into a folder, for comparing ids with the
# reference tokenizers: English, code, accented and CJK text, emoji, whitespace runs, numbers,
# contractions in any case, CRLF, Unicode spaces (U+0085, U+00A0, U+3000), long runs.
# Deterministic (fixed seed). usage: /usr/bin/python3 make_corpus.py DIR
import os
import random
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = random.Random(20240520)
fixed = [
    "Hello, world! It's a test. They'll say we'd've done it; I'M SURE YOU'RE RIGHT, DON'T you?",
    "def main(argc, argv):\n    for i in range(10):\n\t\tprint(f\"{i:>4}\")  # comment\n    return 0\n",
    "int main(void) {\r\n    return printf(\"%d\\n\", 42) < 0;\r\n}\r\n",
    "Café naïve résumé façade coöperate Ångström Øresund Straße Œuvre déjà vu — «quotes» …",
    "日本語のテキストです。中文文本，包括标点符号！한국어 텍스트도 있습니다.",
    "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ✨ and symbols ∑∫√∞ ≠ ≤ ≥ → ⇒ ©®™",
    "Numbers: 1 12 123 1234 12345 3.14159 -42 1e10 0x1F 1,000,000 ١٢٣ ४५६ Ⅻ ½",
    "   leading spaces\n\n\n   \n\t\t\ttabs   \n    trailing    \n\n",
    "nbsp:\u00a0a\u00a0\u00a0b ideographic:\u3000c next-line:\u0085d line-sep:\u2028e em-space:\u2003f",
    "Arabic: مرحبا بالعالم. Hebrew: שלום עולם. Greek: Καλημέρα κόσμε. Russian: Привет, мир!",
    "Combining: e\u0301 a\u0308 n\u0303 Zalgo: Z\u0351\u0352a\u0353l\u0354g\u0355o",
    "x" * 3000 + " " + "ab" * 1500 + "\n" + " " * 2000 + "end" + "\n" * 500 + "!" * 700,
    "'s 's 'S 'T 'Re 'VE 'm 'LL 'd ' s can't won't SHAN'T y'all o'clock it'\u017f 'K '\u212a",
    "https://example.com/path?query=value&x=1#frag user@example.org C:\\Windows\\System32",
    "",
    " ",
    "\n",
    "<|endoftext|> is written here as plain text, as are <|fim_prefix|> and <|endofprompt|>.",
]
alphabet = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t.,;:'\"!?()-_/\\"
    "éèàüößçñ日本語中文한국어😀👍🏽\u00a0\u3000\u0085\r"
)
for i in range(24):  # random mixtures
    length = rng.randint(1, 400)
    fixed.append("".join(rng.choice(alphabet) for _ in range(length)))
# a longer mixed document: words of several scripts, numbers, punctuation, odd spacing
words = ("the of and to in is that for it with as was on be at by this had not are but from "
         "über straße café niño ĉu ŝi Привет мир γειά σου 東京 大学 한국 😀 ✨ 12 345 6789 "
         "can't I'M we've x86_64 -O2 foo.bar() {}; ...").split()
seps = [" ", " ", " ", "  ", "\n", "\n\n", ", ", ". ", "\t", "\r\n", "\u00a0", "\u3000 "]
fixed.append("".join(rng.choice(words) + rng.choice(seps) for _ in range(30000)))
for i, text in enumerate(fixed):
    with open(os.path.join(out, "doc%03d.txt" % i), "w", encoding="utf-8", newline="") as f:
        f.write(text)
