#!/bin/sh
# mpi.sh — data-parallel scaling on this machine (run by bench.sh, or alone with CR_BIN set):
# config A (4 x 256, 8 heads, vocab 8192, seq 128, global batch 24) trained by
# `mpirun -np 2 trainer train --threads 1 --batch 12` against one process
# `trainer train --threads 2 --batch 24`, on the same random shard. Both use two cores; the
# scaling efficiency is the 2-rank tokens/s over the 1-process tokens/s (issue 12: >= 0.9).
# Two readings, both printed: the same global batch (each rank --batch 12: the stricter one, a
# rank's spheres get one sequence each) and config A on every rank (`--batch` is per rank, so
# each rank --batch 24, a global batch of 48: how data parallelism is used and usually scored).
# Step times come from rank 0's metrics.jsonl (median of the steps after the first); runs are
# interleaved and repeated (MPI_BENCH_REPEAT, default 3), the best of each side kept.
# MPI_BENCH_STEPS (default 8) steps per run. Also the CPU seconds each side used for the same
# steps, whose ratio suffers less from a busy machine. Prints figures; decides nothing.
set -u
: "${CR_BIN:?}"
TR="$CR_BIN/trainer"
PY=/usr/bin/python3
STEPS=${MPI_BENCH_STEPS:-8}
REPEAT=${MPI_BENCH_REPEAT:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/mpibench.XXXXXX")
trap 'rm -rf "$work"' EXIT
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
if ! command -v mpirun >/dev/null; then
    echo "mpi: skipped, no mpirun (openmpi-bin)"
    exit 0
fi

mkdir -p "$work/data"
$PY - "$work/data/a.bin" <<'PYEOF'
import sys, numpy as np
n = 400000
h = np.zeros(256, dtype=np.int32); h[:3] = (20240520, 1, n)
with open(sys.argv[1], "wb") as f:
    f.write(h.tobytes()); f.write(np.random.default_rng(0).integers(0, 8192, n, dtype=np.uint16).tobytes())
PYEOF
A="--data $work/data --layers 4 --channels 256 --heads 8 --seq-len 128 --vocab 8192 --steps $STEPS
   --val-every 0 --checkpoint-every 0 --quiet"
# median FIELD FILE: the median of a figure over the steps after the first, from metrics.jsonl
median() {
    $PY -c 'import json,sys,statistics; r=[json.loads(l)[sys.argv[1]] for l in open(sys.argv[2])][1:]; print(statistics.median(r))' "$1" "$2"
}
best() { sort -g | tail -1; }
least() { sort -g | head -1; }
# cpu COMMAND...: runs it, prints the CPU seconds (user + system) of it and its children (for
# mpirun: the ranks, and mpirun itself, start-up included)
cpu() {
    $PY -c 'import resource,subprocess,sys
subprocess.run(sys.argv[1:], check=True)
r = resource.getrusage(resource.RUSAGE_CHILDREN); print(r.ru_utime + r.ru_stime)' "$@"
}
calc() { $PY -c "print('%.3f' % ($1))"; }

echo "mpi: config A, global batch 24 x 128; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
: >"$work/one"; : >"$work/two"; : >"$work/exchange"; : >"$work/cpu1"; : >"$work/cpu2"; : >"$work/weak"
# start-up alone (one step): the 2-rank side pays mpirun and a second process
rm -rf "$work/o1" "$work/o2"
base1=$(cpu "$TR" train $A --steps 1 --out "$work/o1" --threads 2 --batch 24) || exit 1
base2=$(cpu mpirun -np 2 --oversubscribe --bind-to none "$TR" train $A --steps 1 --out "$work/o2" --threads 1 --batch 12) || exit 1
i=0
while [ $i -lt "$REPEAT" ]; do
    rm -rf "$work/o1" "$work/o2"
    cpu "$TR" train $A --out "$work/o1" --threads 2 --batch 24 >>"$work/cpu1" || exit 1
    median tokens_per_s "$work/o1/metrics.jsonl" >>"$work/one"
    cpu mpirun -np 2 --oversubscribe --bind-to none "$TR" train $A --out "$work/o2" --threads 1 --batch 12 >>"$work/cpu2" || exit 1
    median tokens_per_s "$work/o2/metrics.jsonl" >>"$work/two"
    median exchange_ms "$work/o2/metrics.jsonl" >>"$work/exchange"
    rm -rf "$work/o3"
    mpirun -np 2 --oversubscribe --bind-to none "$TR" train $A --out "$work/o3" --threads 1 --batch 24 || exit 1
    median tokens_per_s "$work/o3/metrics.jsonl" >>"$work/weak"
    i=$((i + 1))
done
one=$(best <"$work/one"); two=$(best <"$work/two")
echo "  1 process x 2 threads, batch 24: $(calc "$one") tokens/s (best of $REPEAT; runs: $(tr '\n' ' ' <"$work/one"))"
echo "  2 ranks x 1 thread, batch 12 each: $(calc "$two") tokens/s (best of $REPEAT; runs: $(tr '\n' ' ' <"$work/two"))"
echo "  2 ranks: time in the exchange (rank 0, median a step, incl. waiting for rank 1): $(tr '\n' ' ' <"$work/exchange")ms"
echo "  scaling efficiency, same global batch (2 ranks / 1 process): $(calc "$two / $one")   (issue target: >= 0.9)"
weak=$(best <"$work/weak")
echo "  2 ranks x 1 thread, config A on each (batch 24 each, global 48): $(calc "$weak") tokens/s (best of $REPEAT; runs: $(tr '\n' ' ' <"$work/weak"))"
echo "  scaling efficiency, config A per rank (2 ranks / 1 process): $(calc "$weak / $one")   (issue target: >= 0.9)"
c1=$(least <"$work/cpu1"); c2=$(least <"$work/cpu2")
echo "  CPU seconds for the same $STEPS steps (least of $REPEAT, start-up included): 1 process $(calc "$c1"), 2 ranks + mpirun $(calc "$c2")"
echo "  work efficiency (1-process CPU s / 2-rank CPU s; steadier than wall time on a busy machine): $(calc "$c1 / $c2")"
echo "  one step alone (start-up): 1 process $(calc "$base1") CPU s, 2 ranks + mpirun $(calc "$base2") CPU s"
echo "  work efficiency per step, start-up taken out ((c1 - base1) / (c2 - base2)): $(calc "($c1 - $base1) / ($c2 - $base2)")"
echo "  load after: $(cut -d' ' -f1-3 /proc/loadavg)"
