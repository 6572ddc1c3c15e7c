/* model.h — a GPT-2 model's shape, its parameter layout (llm.c's order) and its checkpoint file.
 * The checkpoint is llm.c's model file, version 3 (SPEC.md): 256 int32 of header, then every
 * parameter as fp32. Training state (AdamW moments, step, data position) is not here: state.h.
 * The layers that compute with these parameters live in layers.h, the threads in spheres.h. */
#ifndef TRAINER_MODEL_H
#define TRAINER_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "fs.h"
#include "status.h"

#define GPT2_MAGIC 20240326
#define GPT2_VERSION 3
#define GPT2_HEADER_INTS 256
#define GPT2_NUM_TENSORS 16

typedef struct gpt2_config {
    int max_seq_len;       /* T_max: rows of wpe */
    int vocab_size;        /* V: real tokens */
    int padded_vocab_size; /* Vp: rows of wte, V rounded up to 128 (llm.c) */
    int num_layers;        /* L */
    int num_heads;         /* NH */
    int channels;          /* C */
} gpt2_config;

/* Names in llm.c's order, for messages and tests. */
extern const char *const gpt2_tensor_names[GPT2_NUM_TENSORS];

/* Sizes (in floats) of the 16 tensors in llm.c's order; returns the total. */
size_t gpt2_tensor_sizes(const gpt2_config *cfg, size_t sizes[GPT2_NUM_TENSORS]);
/* 1 for the tensors AdamW decays (the matrices: wte, wpe, qkvw, attprojw, fcw, fcprojw). */
int gpt2_tensor_decays(int tensor);
/* CR_EUSAGE when the shape is impossible (heads not dividing channels, zero sizes, ...). */
int gpt2_config_check(const gpt2_config *cfg, cr_err *err);
/* V rounded up to a multiple of 128, as llm.c pads it. */
int gpt2_padded_vocab(int vocab_size);
/* 6 x params + 12 x L x T x C: training FLOPs per token (the yardstick). */
double gpt2_flops_per_token(const gpt2_config *cfg, int seq_len);

/* GPT-2's initialisation from a seed: weights normal(0, 0.02), the residual projections
 * (attprojw, fcprojw) normal(0, 0.02 / sqrt(2 L)), biases 0, LayerNorm weights 1; padded
 * vocabulary rows 0. Deterministic for a seed on every machine. */
void gpt2_init_params(const gpt2_config *cfg, float *params, uint64_t seed);

/* The file's 256-int header for a shape (llm.c's version 3; the unused ints 0). */
void gpt2_header_from_config(const gpt2_config *cfg, int32_t header[GPT2_HEADER_INTS]);
/* The model file written under its temporary name, not yet renamed into place: commit with
 * cr_atomic_commit (lib/fs.h), or cr_atomic_abort. On failure nothing is left. */
int gpt2_checkpoint_stage(cr_atomic_file *file, const char *path, const gpt2_config *cfg,
                          const float *params, cr_err *err);
/* Writes header + params atomically (fs.h). */
int gpt2_checkpoint_write(const char *path, const gpt2_config *cfg, const float *params,
                          cr_err *err);
/* Reads only the header; CR_EDATA for a bad magic, version or shape. */
int gpt2_checkpoint_read_config(const char *path, gpt2_config *cfg, cr_err *err);
/* Reads the whole file into *params (malloc'd; caller frees). CR_EDATA for a bad header or a
 * size that disagrees with the header (truncated or padded file). */
int gpt2_checkpoint_read(const char *path, gpt2_config *cfg, float **params, cr_err *err);

#endif
