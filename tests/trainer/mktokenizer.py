#!/usr/bin/python3
"""mktokenizer.py — a minimal valid tokenizer file (docs/tokenizer.md) for the trainer's tests:
the 256 byte tokens (id = byte value, no merges), <|endoftext|> as the last id, GPT-2's
pattern. Usage: mktokenizer.py PATH VOCAB_SIZE"""
import base64
import sys

path, vocab_size = sys.argv[1], int(sys.argv[2])
eot = vocab_size - 1
with open(path, "w") as f:
    f.write("crystalline-tokenizer 1\npattern-name gpt2\n")
    f.write("pattern 's|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+\n")
    f.write("special %d <|endoftext|>\nend-of-text %d\nvocab-size %d\nranks 256\n\n" % (eot, eot, vocab_size))
    for b in range(256):
        f.write("%s %d\n" % (base64.b64encode(bytes([b])).decode(), b))
