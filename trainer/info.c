/* info.c — `trainer info PATH`: a checkpoint's shape, parameter count, step and the memory a
 * training run on it needs (the 12-sphere engine's allocation for batch 12 at full length).
 * Reads the header and checks the size (model.c); never loads the weights. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "commands.h"
#include "json.h"
#include "layers.h"
#include "model.h"
#include "parse.h"

int info_run(const char *path, int json, cr_err *err)
{
    char model_path[4096];
    int code = checkpoint_resolve(path, model_path, sizeof model_path, err);
    if (code)
        return code;
    gpt2_config cfg;
    code = gpt2_checkpoint_read_config(model_path, &cfg, err);
    if (code)
        return code;
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(&cfg, sizes);
    const char *base = strrchr(model_path, '/');
    base = base ? base + 1 : model_path;
    long long step = -1;
    sscanf(base, "model_%lld.bin", &step);
    int batch = 12;
    size_t per_sphere = gpt2_acts_bytes(&cfg, 1, cfg.max_seq_len) + P * sizeof(float);
    /* weights, AdamW m and v, the packed copy of the weights, and twelve spheres */
    size_t training = 4 * P * sizeof(float) + 12 * per_sphere;
    size_t inference = P * sizeof(float);
    char train_text[32], infer_text[32];
    cr_format_size(training, train_text, sizeof train_text);
    cr_format_size(inference, infer_text, sizeof infer_text);
    if (json) {
        cr_buf out;
        cr_buf_init(&out);
        cr_json j;
        cr_json_init(&j, &out);
        cr_json_object_begin(&j);
        cr_json_kv_string(&j, "path", model_path);
        cr_json_kv_int(&j, "max_seq_len", cfg.max_seq_len);
        cr_json_kv_int(&j, "vocab_size", cfg.vocab_size);
        cr_json_kv_int(&j, "padded_vocab_size", cfg.padded_vocab_size);
        cr_json_kv_int(&j, "num_layers", cfg.num_layers);
        cr_json_kv_int(&j, "num_heads", cfg.num_heads);
        cr_json_kv_int(&j, "channels", cfg.channels);
        cr_json_kv_int(&j, "parameters", (int64_t)P);
        if (step >= 0)
            cr_json_kv_int(&j, "step", step);
        cr_json_kv_int(&j, "training_bytes", (int64_t)training);
        cr_json_kv_int(&j, "inference_bytes", (int64_t)inference);
        cr_json_object_end(&j);
        printf("%s\n", out.data);
        cr_buf_free(&out);
        return CR_OK;
    }
    printf("checkpoint  %s (llm.c version 3, fp32)\n", model_path);
    printf("shape       %d layers, %d channels, %d heads, max sequence %d\n", cfg.num_layers,
           cfg.channels, cfg.num_heads, cfg.max_seq_len);
    printf("vocabulary  %d (padded to %d)\n", cfg.vocab_size, cfg.padded_vocab_size);
    printf("parameters  %zu\n", P);
    if (step >= 0)
        printf("step        %lld\n", step);
    printf("memory      %s to train (batch %d x %d, 12 spheres), %s of weights to generate\n",
           train_text, batch, cfg.max_seq_len, infer_text);
    return CR_OK;
}
