/* ranks.h — data-parallel training over Open MPI: `mpirun -np R trainer train ...` runs one
 * model on R processes. Each rank computes its own slice of the global batch on its sphere
 * engine; gradients are summed over ranks in rank order 0..R-1 by contiguous parameter
 * segments, each rank applies AdamW to its segment, and the segments are gathered back. Rank 0
 * alone reads and writes --out. Without mpirun every function is the single-process path and
 * MPI is never initialised. The training loop that calls this is train.c; docs/trainer.md. */
#ifndef TRAINER_RANKS_H
#define TRAINER_RANKS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "spheres.h"
#include "state.h"
#include "status.h"

/* Initialises MPI when the process was started by mpirun (OMPI_COMM_WORLD_SIZE is set);
 * otherwise one rank, no MPI. Ranks other than 0 then log warnings and errors only. With
 * several ranks, starts the watchdog that ends the job (exit 75) when a wait for the other
 * ranks outlasts CR_RANK_TIMEOUT seconds (default: max(600, 20 x the slowest step)). */
int ranks_open(cr_err *err);
/* Ends MPI: MPI_Finalize when status is 0; when it is not and there are other ranks,
 * MPI_Abort(status), so that no rank waits forever for one that failed. No-op without MPI. */
void ranks_close(int status);
int ranks_count(void); /* 1 without mpirun */
int ranks_rank(void);  /* 0 without mpirun */
int ranks_is_root(void);

/* Start-up, collective: rank 0's model shape, parameters, AdamW moments (when resumed) and
 * training state go to every rank (the others allocate theirs). Fails on every rank, with
 * CR_EDATA, when the ranks' training data differ in token count. Single rank: CR_OK. */
int ranks_share_start(gpt2_config *cfg, float **params, float **adam_m, float **adam_v,
                      train_state *state, int *resumed, uint64_t train_tokens, cr_err *err);

/* Rank 0's value on every rank (collective; one rank: value). For any decision a rank takes
 * from its own clock or files that all ranks must share, e.g. a step count fixed from
 * measured speed: without it the ranks would run different step counts and wait for ever. */
long ranks_agree_long(long value);

/* The per-step exchange: buffers for this rank's segment, allocated once. NULL with one
 * rank; every function below then does the single-process thing. */
typedef struct rank_exchange rank_exchange;
int rank_exchange_new(rank_exchange **out, size_t param_count, cr_err *err);
void rank_exchange_free(rank_exchange *x);

/* After this rank's forward+backward (which need not compute a norm): this rank's segment of
 * the engine's gradient becomes the gradient summed over ranks in rank order and divided by R;
 * *loss becomes the mean over ranks, *grad_norm the global norm. Returns 1 on every rank when
 * any rank's stop is set (a signal), so all end the same step. */
int ranks_reduce(rank_exchange *x, sphere_engine *e, double *loss, double *grad_norm, int stop);
/* AdamW on this rank's segment with the reduced gradient, then every segment to every rank. */
void ranks_adamw(rank_exchange *x, sphere_engine *e, const engine_hparams *hp, float lr, long t);
/* Wall time this step spent in the exchanges above (MPI calls and the rank-order sum), in ms;
 * it includes waiting for the slowest rank. 0 with one rank. */
double ranks_exchange_ms(const rank_exchange *x);
/* Before a checkpoint: every segment's AdamW moments to rank 0 (collective). */
void ranks_gather_moments(rank_exchange *x, sphere_engine *e);

#endif
