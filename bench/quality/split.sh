# split.sh — sourced by the code-model benches (quality, blocks), so that they train and hold
# out the same files. PY must be set.
# curl_split SRC WORK: every 8th of SRC's .c files (sorted by name, from the 4th) into
# WORK/held, never trained on, the tokenizer included; the others into WORK/train.
curl_split() {
    mkdir -p "$2/train" "$2/held"
    i=0
    for f in $(ls "$1"/*.c | sort); do
        if [ $((i % 8)) = 3 ]; then cp "$f" "$2/held/"; else cp "$f" "$2/train/"; fi
        i=$((i + 1))
    done
}
# tokens DIR: the tokens in DIR's shards (from each llm.c header)
tokens() { $PY -c 'import glob,sys,numpy as np; print(sum(int(np.fromfile(p,dtype=np.int32,count=3)[2]) for p in glob.glob(sys.argv[1]+"/*.bin")))' "$1"; }
