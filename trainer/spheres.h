/* spheres.h — the 12-sphere training core. Node Zero (the calling thread) never computes a
 * batch: it hands work to N worker threads and waits. Twelve logical spheres, whatever N is:
 * sphere s owns the sequences b with b mod 12 = s and computes their forward and backward,
 * single-threaded, into a gradient buffer taken from a pool of N + 1. The buffers are added into
 * one sum as spheres finish, always in sphere order 0..11, then AdamW updates fixed chunks of
 * the parameter vector. The work an idle worker takes is chosen dynamically, but no sum's order
 * depends on it, so parameters are bit-identical for any thread count. Data loading and
 * checkpoints: train.c. */
#ifndef TRAINER_SPHERES_H
#define TRAINER_SPHERES_H

#include <stddef.h>

#include "layers.h"
#include "model.h"
#include "status.h"

#define SPHERE_COUNT 12

typedef struct engine_hparams {
    float beta1, beta2, eps, weight_decay, grad_clip; /* grad_clip 0: none */
    float muon_lr, muon_momentum;                     /* engine_use_muon's matrices */
} engine_hparams;

typedef struct sphere_stats {
    int sequences;   /* in the last step */
    double loss_sum; /* over its sequences' tokens */
    double busy_s;   /* forward + backward wall time */
    int worker;      /* the worker thread that ran it last */
} sphere_stats;

typedef struct sphere_engine sphere_engine;

/* Allocates (and touches) everything a step needs: parameters, AdamW moments, the gradient sum
 * plus a pool of threads + 1 gradient buffers, one activation block per worker that runs
 * spheres (min(threads, batch, 12)), and starts the worker threads. */
int engine_new(sphere_engine **out, const gpt2_config *cfg, int batch, int seq_len, int threads,
               cr_err *err);
void engine_free(sphere_engine *e);

const gpt2_config *engine_config(const sphere_engine *e);
float *engine_params(sphere_engine *e); /* param_count floats, llm.c order */
float *engine_adam_m(sphere_engine *e);
float *engine_adam_v(sphere_engine *e);
size_t engine_param_count(const sphere_engine *e);
int engine_threads(const sphere_engine *e);
int engine_active_spheres(const sphere_engine *e);
int engine_sphere_workers(const sphere_engine *e);       /* workers that run spheres */
int engine_gradient_buffers(const sphere_engine *e);     /* the sum + the pool */
size_t engine_bytes_activations(const sphere_engine *e); /* one worker's activation block */
size_t engine_bytes_total(const sphere_engine *e);

/* Forward + backward of sequences inputs (batch_now, T) against targets (batch_now, T), then
 * the reduction; *loss is the mean loss, *grad_norm the global L2 norm of the summed gradient
 * (grad_norm NULL: not computed, for a rank whose norm is the ranks'; engine_adamw then needs
 * one). batch_now <= the batch given to engine_new. */
void engine_forward_backward(sphere_engine *e, const int *inputs, const int *targets, int batch_now,
                             double *loss, double *grad_norm);
/* The summed gradient of the last engine_forward_backward (param_count floats); a rank
 * writes its reduced segment back into it for engine_adamw_segment. */
float *engine_grads(sphere_engine *e);
/* From now on the hidden matrices (qkvw, attprojw, fcw, fcprojw) take Muon (muon.h) instead of
 * AdamW, with AdamW's m as their momentum (their v stays zero) and AdamW's decoupled weight
 * decay (lr x weight_decay at the AdamW rate). Allocates a workspace per thread. Whole matrices
 * only: not with engine_adamw_segment's segments (several ranks). */
int engine_use_muon(sphere_engine *e, cr_err *err);
/* AdamW step number t (1-based) at learning rate lr, with global-norm clipping. */
void engine_adamw(sphere_engine *e, const engine_hparams *hp, float lr, long t);
/* The same update on parameters [begin, end) only, with their gradient grad (end - begin
 * floats, copied into the gradient sum at begin) and the global gradient norm given: a
 * rank's segment (ranks.h). */
void engine_adamw_segment(sphere_engine *e, const engine_hparams *hp, float lr, long t,
                          double grad_norm, const float *grad, size_t begin, size_t end);
/* Mean loss of sequences without a backward (validation, eval). */
double engine_loss(sphere_engine *e, const int *inputs, const int *targets, int batch_now);
const sphere_stats *engine_sphere_stats(const sphere_engine *e);

#endif
