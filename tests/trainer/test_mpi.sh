# test_mpi.sh — `mpirun -np 2 trainer train` on this machine, over TCP on loopback: 2 ranks x
# batch B against 1 process x batch 2B (loss within 1e-5 relative), bit-identical parameters on
# a rerun and for 1 and 2 threads per rank (also with 3 ranks), rank 0 alone writing, a
# SIGTERM to rank 1 and a resume bit-exact against an uninterrupted run, SIGINT to rank 0, a
# SIGKILLed rank ending the whole job non-zero within 60 s, a SIGSTOPped rank ending it
# through the watchdog (CR_RANK_TIMEOUT), a resume on another rank count, ranks with
# different data.
. "$(dirname "$0")/../tap.sh"
TR="$CR_BIN/trainer"
MK="tests/trainer/mkshard.py"
# as root, Open MPI wants both variables (README: "Training on several machines")
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# TCP on loopback, as between machines; no shared-memory transport
MPI="--oversubscribe --bind-to none --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo"
run2() { timeout 120 mpirun -np 2 $MPI "$TR" "$@"; }
LOUD="--layers 2 --channels 32 --heads 4 --seq-len 16 --val-every 0"
TINY="$LOUD --quiet"
SCHED="--warmup 2 --decay-steps 10"

if ! command -v mpirun >/dev/null; then
    not_ok "mpirun is installed (openmpi-bin, trainer/packages.txt)"
    finish
    exit
fi
mkdir -p "$T/data"
$PY "$MK" "$T/data/shard_000.bin" 6000 128 1
$PY "$MK" "$T/data/shard_001.bin" 3000 128 2

field() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
# metric FILE STEP NAME: a figure of one step's metrics.jsonl line
metric() { field "$(sed -n "${2}p" "$1")" "$3"; }
# close A B TOLERANCE: True when |A - B| <= TOLERANCE * |B|
close() { $PY -c "import sys; a,b,t=map(float,sys.argv[1:]); print(abs(a-b) <= t*abs(b))" "$1" "$2" "$3"; }

# 2 ranks x batch 7 against 1 process x batch 14: the same 14 sequences a step. These bf16
# runs read the data in order: bf16 rounding puts the gradient norms of the two some 1e-4
# apart, more or less by the data; the shuffled order (the default) is checked in fp32 below.
SEQ="--data-order sequential"
one=$("$TR" train --data "$T/data" --out "$T/one" $TINY $SCHED $SEQ --batch 14 --steps 10 --threads 1 --json)
two=$(run2 train --data "$T/data" --out "$T/two" $LOUD $SCHED $SEQ --batch 7 --steps 10 --threads 1 --json 2>"$T/two.log")
expect_eq "2 ranks: exit 0" "$?" 0
expect_eq "2 ranks: one JSON summary (rank 0's)" "$(printf '%s\n' "$two" | grep -c '"step":10')" 1
l1=$(field "$one" loss); l2=$(field "$two" loss)
expect_eq "loss after 10 steps: 2 ranks x 7 ($l2) within 1e-5 relative of 1 x 14 ($l1)" \
    "$(close "$l2" "$l1" 1e-5)" True
expect_eq "metrics: one line a step, written once" "$(wc -l <"$T/two/metrics.jsonl" | tr -d ' ')" 10
expect_match "metrics say the ranks and the global batch" "$(tail -1 "$T/two/metrics.jsonl")" \
    '"ranks":2,"global_batch":14'
g1=$(metric "$T/one/metrics.jsonl" 10 grad_norm); g2=$(metric "$T/two/metrics.jsonl" 10 grad_norm)
expect_eq "gradient norm at step 10: 2 ranks ($g2) within 1e-4 relative of 1 process ($g1)" \
    "$(close "$g2" "$g1" 1e-4)" True
expect_match "the start says ranks x threads x spheres" "$(cat "$T/two.log")" \
    "^[^ ]+ trainer INFO 2 ranks x 1 threads x 12 spheres; global batch 14 sequences \\(7 per rank\\)"
expect_eq "rank 0 logs, rank 1 does not (warnings and errors only)" \
    "$(grep -c ' trainer INFO checkpoint' "$T/two.log") $(grep -c 'trainer rank 1' "$T/two.log")" "1 0"

# the same 2-rank run again, and with 2 threads per rank: the same bits
run2 train --data "$T/data" --out "$T/again" $TINY $SCHED $SEQ --batch 7 --steps 10 --threads 1
run2 train --data "$T/data" --out "$T/threads2" $TINY $SCHED $SEQ --batch 7 --steps 10 --threads 2
for run in again threads2; do
    check "2 ranks: parameters after 10 steps, $run == first run" \
        cmp "$T/two/model_00000010.bin" "$T/$run/model_00000010.bin"
    check "2 ranks: AdamW state after 10 steps, $run == first run" \
        cmp "$T/two/model_00000010.state" "$T/$run/model_00000010.state"
done

# The runs above take --precision auto (bf16 on a CPU with AVX512-BF16 or AMX); the same
# checks in fp32 explicitly, so that both precisions are covered where the CPU has bf16.
FP32="$TINY $SCHED --precision fp32 --steps 10"
# fp32_ranks R B TOLERANCE: R ranks x batch B against 1 process x batch R x B (loss within
# 1e-5 relative, gradient norm at step 10 within TOLERANCE), and R ranks x 2 threads == x 1
fp32_ranks() {
    r=$1 b=$2 n=$(($1 * $2))
    one=$("$TR" train --data "$T/data" --out "$T/one$n" $FP32 --batch $n --threads 1 --json)
    many=$(timeout 120 mpirun -np $r $MPI "$TR" train --data "$T/data" --out "$T/r$r" $FP32 --batch $b --threads 1 --json)
    expect_eq "fp32, $r ranks: exit 0" "$?" 0
    l1=$(field "$one" loss); lr=$(field "$many" loss)
    expect_eq "fp32: loss after 10 steps, $r ranks x $b ($lr) within 1e-5 relative of 1 x $n ($l1)" \
        "$(close "$lr" "$l1" 1e-5)" True
    g1=$(metric "$T/one$n/metrics.jsonl" 10 grad_norm); gr=$(metric "$T/r$r/metrics.jsonl" 10 grad_norm)
    expect_eq "fp32, shuffled: gradient norm at step 10, $r ranks ($gr) within $3 relative of 1 ($g1)" \
        "$(close "$gr" "$g1" "$3")" True
    timeout 120 mpirun -np $r $MPI "$TR" train --data "$T/data" --out "$T/r${r}t2" $FP32 --batch $b --threads 2
    check "fp32, $r ranks: parameters after 10 steps, 2 threads per rank == 1" \
        cmp "$T/r$r/model_00000010.bin" "$T/r${r}t2/model_00000010.bin"
    check "fp32, $r ranks: AdamW state after 10 steps, 2 threads per rank == 1" \
        cmp "$T/r$r/model_00000010.state" "$T/r${r}t2/model_00000010.state"
}
fp32_ranks 2 7 1e-6
# 3 ranks: a middle rank receives from ranks before and after it, the segments are not all
# alike, and 1/3 is not exact
fp32_ranks 3 5 1e-5

# rank_pid OUT N: the pid of rank N of the job writing to OUT (mpirun sets OMPI_COMM_WORLD_RANK)
rank_pid() {
    for pid in $(pgrep -f -- "--out $1 "); do
        if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2"; then
            echo "$pid"
            return
        fi
    done
}
LONG="--decay-steps 100000 --warmup 2 --batch 7 --checkpoint-every 0"

# SIGTERM to rank 1: every rank ends the step, rank 0 checkpoints, exit 0; then --resume is
# bit for bit the run that was never interrupted
run2 train --data "$T/data" --out "$T/cut" $TINY $LONG --steps 1000000 --threads 1 &
job=$!
wait_for 60 sh -c "test \$(wc -l <'$T/cut/metrics.jsonl' 2>/dev/null || echo 0) -ge 3"
kill -TERM "$(rank_pid "$T/cut" 1)"
wait $job
expect_eq "SIGTERM to rank 1: the job exits 0" "$?" 0
k=$(wc -l <"$T/cut/metrics.jsonl" | tr -d ' ')
check "SIGTERM to rank 1: rank 0 checkpointed the last step ($k)" test -s "$T/cut/model_$(printf %08d "$k").bin"
total=$((k + 4))
run2 train --data "$T/data" --out "$T/cut" $TINY $LONG --steps $total --threads 2 --resume
run2 train --data "$T/data" --out "$T/whole" $TINY $LONG --steps $total --threads 1
check "$k steps, SIGTERM, --resume to $total == $total steps straight: model bit for bit" \
    cmp "$T/whole/model_$(printf %08d $total).bin" "$T/cut/model_$(printf %08d $total).bin"
check "and the AdamW state bit for bit" \
    cmp "$T/whole/model_$(printf %08d $total).state" "$T/cut/model_$(printf %08d $total).state"

# SIGINT to rank 0 likewise
run2 train --data "$T/data" --out "$T/int" $TINY $LONG --steps 1000000 --threads 1 &
job=$!
wait_for 60 sh -c "test \$(wc -l <'$T/int/metrics.jsonl' 2>/dev/null || echo 0) -ge 3"
kill -INT "$(rank_pid "$T/int" 0)"
wait $job
expect_eq "SIGINT to rank 0: the job exits 0" "$?" 0
k=$(wc -l <"$T/int/metrics.jsonl" | tr -d ' ')
check "SIGINT to rank 0: checkpoint of the last step ($k)" test -s "$T/int/model_$(printf %08d "$k").bin"

# SIGKILL to rank 1: nothing hangs, the whole job ends non-zero within 60 s, and --resume
# continues from the last checkpoint
run2 train --data "$T/data" --out "$T/kill" $TINY --batch 7 --steps 1000000 --checkpoint-every 50 --threads 1 2>"$T/kill.log" &
job=$!
wait_for 60 test -e "$T/kill/model_00000050.bin"
victim=$(rank_pid "$T/kill" 1)
kill -KILL "$victim"
started=$(date +%s)
wait $job
status=$?
took=$(($(date +%s) - started))
expect_match "SIGKILL to rank 1: the job exits non-zero ($status)" "$status" '^([1-9]|[1-9][0-9]+)$'
expect_match "SIGKILL to rank 1: the job ended within 60 s (took $took s)" "$took" '^([0-9]|[1-5][0-9])$'
check "no rank left running" sh -c "! pgrep -f -- '--out $T/kil[l] '"
out=$(run2 train --data "$T/data" --out "$T/kill" $TINY --batch 7 --steps +2 --threads 1 --resume --json)
expect_match "and --resume continues from a checkpoint" "$out" '"steps_run":2'

# a rank that stops answering without dying (SIGSTOP): the watchdog of the rank waiting for
# it ends the job with exit 75 after CR_RANK_TIMEOUT seconds
CR_RANK_TIMEOUT=3 run2 train --data "$T/data" --out "$T/stop" $TINY --batch 7 --steps 1000000 --checkpoint-every 0 --threads 1 2>"$T/stop.log" &
job=$!
wait_for 60 sh -c "test \$(wc -l <'$T/stop/metrics.jsonl' 2>/dev/null || echo 0) -ge 3"
kill -STOP "$(rank_pid "$T/stop" 1)"
started=$(date +%s)
wait $job
status=$?
took=$(($(date +%s) - started))
expect_eq "SIGSTOP to rank 1, CR_RANK_TIMEOUT=3: the job exits 75" "$status" 75
expect_match "within 30 s (took $took s)" "$took" '^([0-9]|[12][0-9])$'
expect_match "the waiting rank says why" "$(cat "$T/stop.log")" "no word from the other ranks for [0-9]+ s \\(limit 3 s"
check "no rank left behind, stopped or not" sh -c "! pgrep -f -- '--out $T/sto[p] '"
check_exit "a bad CR_RANK_TIMEOUT is a usage error" 2 \
    env CR_RANK_TIMEOUT=soon timeout 120 mpirun -np 2 $MPI "$TR" train --data "$T/data" --out "$T/bad" $TINY --steps 1
out=$(run2 train --data "$T/data" --out "$T/muon" $TINY --optimizer muon --steps 1 2>&1)
expect_eq "--optimizer muon under mpirun: a usage error (its matrices are not cut into segments)" "$?" 2
expect_match "and says so" "$out" "optimizer muon runs in one process only"

# another rank count resumes too: the data position is a token offset in one stream, so 1
# process x batch 14 resumed at step 4 of a 2-rank x 7 run reads the windows the 2 ranks read
run2 train --data "$T/data" --out "$T/count" $TINY $SCHED --batch 7 --steps 4 --threads 1
out=$("$TR" train --data "$T/data" --out "$T/count" $TINY $SCHED --batch 14 --steps 6 --resume --json 2>&1)
expect_match "a 2-rank checkpoint resumed by 1 process" "$out" '"step":6,"steps_run":2'
run2 train --data "$T/data" --out "$T/count2" $TINY $SCHED --batch 7 --steps 6 --threads 1
for step in 5 6; do
    a=$(metric "$T/count/metrics.jsonl" $step loss); b=$(metric "$T/count2/metrics.jsonl" $step loss)
    expect_eq "step $step after the switch: loss $a within 1e-5 relative of 2 ranks all along ($b)" \
        "$(close "$a" "$b" 1e-5)" True
done

# ranks that do not see the same shards are refused, every rank exits
mkdir -p "$T/other"
cp "$T/data/shard_000.bin" "$T/other/"
out=$(timeout 120 mpirun $MPI -np 1 "$TR" train --data "$T/data" --out "$T/mixed" $TINY --batch 7 --steps 1 : \
    -np 1 "$TR" train --data "$T/other" --out "$T/mixed" $TINY --batch 7 --steps 1 2>&1)
expect_eq "different data on two ranks: exit 65" "$?" 65
expect_match "the message names both counts" "$out" "rank 1 has [0-9]+ training tokens, rank 0 has [0-9]+"

finish
