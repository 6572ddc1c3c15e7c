/* layers_types.h — the structs and prototypes of one precision of the GPT-2 layers; included
 * twice by layers.h: R = float (the trainer) and R = double (the gradient check's reference).
 * SFX(name) names the types (name, name_f64), FN(name) the compute functions of one instance;
 * with LAYERS_COMPUTE_ONLY only the functions are declared. Definitions: layers_impl.h. */

#ifndef LAYERS_COMPUTE_ONLY
/* Pointers into one parameter (or gradient) vector, in llm.c's order (model.h). */
typedef struct SFX(gpt2_params) {
    R *wte;      /* (Vp, C) */
    R *wpe;      /* (maxT, C) */
    R *ln1w;     /* (L, C) */
    R *ln1b;     /* (L, C) */
    R *qkvw;     /* (L, 3C, C) */
    R *qkvb;     /* (L, 3C) */
    R *attprojw; /* (L, C, C) */
    R *attprojb; /* (L, C) */
    R *ln2w;     /* (L, C) */
    R *ln2b;     /* (L, C) */
    R *fcw;      /* (L, 4C, C) */
    R *fcb;      /* (L, 4C) */
    R *fcprojw;  /* (L, C, 4C) */
    R *fcprojb;  /* (L, C) */
    R *lnfw;     /* (C) */
    R *lnfb;     /* (C) */
} SFX(gpt2_params);

/* The activations of B sequences of T tokens, kept for the backward pass, plus the backward's
 * scratch (one layer's worth, reused from the top layer down). One block, allocated once. */
typedef struct SFX(gpt2_acts) {
    int B, T;                     /* capacity */
    R *encoded;                   /* (B, T, C) */
    R *ln1, *ln1_mean, *ln1_rstd; /* (L, B, T, C), (L, B, T), (L, B, T) */
    R *qkv;                       /* (L, B, T, 3C) */
    R *atty;                      /* (L, B, T, C) */
    R *att;                       /* (L, B, NH, T, T) softmax weights */
    R *attproj;                   /* (L, B, T, C) */
    R *residual2;                 /* (L, B, T, C) */
    R *ln2, *ln2_mean, *ln2_rstd; /* (L, B, T, C), (L, B, T), (L, B, T) */
    R *fch, *fch_gelu;            /* (L, B, T, 4C) */
    R *fcproj;                    /* (L, B, T, C) */
    R *residual3;                 /* (L, B, T, C) */
    R *lnf, *lnf_mean, *lnf_rstd; /* (B, T, C), (B, T), (B, T) */
    R *logits;                    /* (B, T, V): logits, then their gradient */
    R *losses;                    /* (B, T) */
    R *dres, *dln, *datty;        /* (B, T, C) */
    R *dqkv;                      /* (B, T, 3C) */
    R *dfch, *dfch_gelu;          /* (B, T, 4C) */
    R *drow;                      /* (T*T + 2T): attention backward scratch */
    float *pack;                  /* MATMUL_PACK_FLOATS, 64-byte aligned */
    void *block;
    size_t bytes;
} SFX(gpt2_acts);

void SFX(gpt2_point_params)(SFX(gpt2_params) * p, const gpt2_config *cfg, R *base);
/* Allocates the activations for B sequences of T tokens; 0 or -1 (out of memory). */
int SFX(gpt2_acts_new)(SFX(gpt2_acts) * a, const gpt2_config *cfg, int B, int T);
void SFX(gpt2_acts_free)(SFX(gpt2_acts) * a);
size_t SFX(gpt2_acts_bytes)(const gpt2_config *cfg, int B, int T);

#endif

void FN(encoder_forward)(R *out, const int *inp, const R *wte, const R *wpe, int B, int T, int C);
void FN(encoder_backward)(R *dwte, R *dwpe, const R *dout, const int *inp, int B, int T, int C);
void FN(layernorm_forward)(R *out, R *mean, R *rstd, const R *inp, const R *weight, const R *bias,
                           int N, int C);
void FN(layernorm_backward)(R *dinp, R *dweight, R *dbias, const R *dout, const R *inp,
                            const R *weight, const R *mean, const R *rstd, int N, int C);
void FN(attention_forward)(R *out, R *att, const R *qkv, int B, int T, int C, int NH, float *pack);
void FN(attention_backward)(R *dqkv, R *drow, const R *dout, const R *qkv, const R *att, int B,
                            int T, int C, int NH, float *pack);
void FN(gelu_forward)(R *out, const R *inp, size_t N);
void FN(gelu_backward)(R *dinp, const R *inp, const R *dout, size_t N);
void FN(residual_forward)(R *out, const R *a, const R *b, size_t N);
/* Softmax + cross-entropy over the first V logits of each of N rows; returns the summed loss
 * (double) and, when dloss != 0, overwrites the logits with their gradient times dloss. */
double FN(crossentropy_fused)(R *logits, R *losses, const int *targets, int N, int V, R dloss);

/* Forward of B sequences (inputs (B, T)); returns the summed loss over B*T tokens when targets
 * are given (else 0). With dloss != 0 the logits are replaced by their gradient. packed: the
 * forward weights pre-packed for the float SIMD instances, or NULL. */
double FN(gpt2_forward)(const SFX(gpt2_params) * p, const gpt2_packed *packed,
                        const gpt2_config *cfg, SFX(gpt2_acts) * a, const int *inputs,
                        const int *targets, int B, int T, R dloss);
/* Backward after gpt2_forward with dloss != 0; overwrites every gradient in grads (nothing
 * to zero beforehand; the bits are those of adding into zeroed grads). packed:
 * as gpt2_forward's (the bf16 instance reads its transposed panels), or NULL. */
void FN(gpt2_backward)(const SFX(gpt2_params) * p, const gpt2_packed *packed,
                       const SFX(gpt2_params) * grads,
                       const gpt2_config *cfg, SFX(gpt2_acts) * a, const int *inputs, int B, int T);
