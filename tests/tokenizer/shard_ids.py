# shard_ids.py — prints the documents of llm.c shards as id lines: the ids after each
# end-of-text token, one line per document (shards in the order given).
# usage: /usr/bin/python3 shard_ids.py EOT_ID SHARD...
import struct
import sys

eot = int(sys.argv[1])
docs = []
for path in sys.argv[2:]:
    data = open(path, "rb").read()
    magic, version, count = struct.unpack("<3i", data[:12])
    assert magic == 20240520 and version in (1, 2), path
    width = 2 if version == 1 else 4
    ids = struct.unpack("<%d%s" % (count, "H" if width == 2 else "I"), data[1024:1024 + count * width])
    for token in ids:
        if token == eot:
            docs.append([])
        else:
            docs[-1].append(token)
for doc in docs:
    print(" ".join(map(str, doc)))
