/* eval.c — `trainer eval`: the mean loss and perplexity of a checkpoint over the shards'
 * consecutive windows of B x T tokens, shard by shard in name order (llm.c's loader order), so
 * the figure can be checked against any GPT-2 implementation. Runs on the sphere engine, forward
 * only. The held-out validation during training is train.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "checkpoint.h"
#include "commands.h"
#include "data.h"
#include "json.h"
#include "log.h"
#include "spheres.h"

int eval_run(const eval_options *o, cr_err *err)
{
    char model_path[4096];
    int code = checkpoint_resolve(o->model, model_path, sizeof model_path, err);
    if (code)
        return code;
    gpt2_config cfg;
    float *params;
    code = gpt2_checkpoint_read(model_path, &cfg, &params, err);
    if (code)
        return code;
    int T = o->seq_len > 0 ? o->seq_len : cfg.max_seq_len, B = o->batch;
    if (T > cfg.max_seq_len) {
        free(params);
        return cr_fail(err, CR_EUSAGE, "--seq-len %d exceeds the model's maximum %d", T,
                       cfg.max_seq_len);
    }
    token_data d;
    code = data_open(&d, o->data_dir, 0, 0, err);
    if (code) {
        free(params);
        return code;
    }
    code = data_check_vocab(&d, (uint32_t)cfg.vocab_size, err);
    sphere_engine *e = NULL;
    if (!code)
        code = engine_new(&e, &cfg, B, T, o->threads, err);
    int *inputs = malloc((size_t)B * T * sizeof(int)),
        *targets = malloc((size_t)B * T * sizeof(int));
    if (!code && (!inputs || !targets))
        code = cr_fail(err, CR_EOTHER, "out of memory");
    double total = 0;
    long windows = 0;
    if (!code) {
        memcpy(engine_params(e), params, engine_param_count(e) * sizeof(float));
        size_t window = (size_t)B * T;
        for (size_t s = 0; s < d.shard_count; s++) {
            const cr_shard *shard = &d.shards[s];
            for (uint64_t at = 0; at + window + 1 <= shard->token_count; at += window) {
                if (o->max_batches > 0 && windows >= o->max_batches)
                    break;
                for (size_t i = 0; i < window; i++) {
                    inputs[i] = (int)cr_shard_token(shard, at + i);
                    targets[i] = (int)cr_shard_token(shard, at + i + 1);
                }
                total += engine_loss(e, inputs, targets, B);
                windows++;
            }
        }
        if (windows == 0)
            code = cr_fail(err, CR_EDATA, "no shard in %s holds one window of %d x %d + 1 tokens",
                           o->data_dir, B, T);
    }
    if (!code) {
        double loss = total / (double)windows;
        uint64_t tokens = (uint64_t)windows * (uint64_t)B * (uint64_t)T;
        if (o->json) {
            cr_buf out;
            cr_buf_init(&out);
            cr_json j;
            cr_json_init(&j, &out);
            cr_json_object_begin(&j);
            cr_json_kv_string(&j, "model", model_path);
            cr_json_kv_double(&j, "loss", loss);
            cr_json_kv_double(&j, "perplexity", exp(loss));
            cr_json_kv_int(&j, "windows", windows);
            cr_json_kv_int(&j, "tokens", (int64_t)tokens);
            cr_json_object_end(&j);
            printf("%s\n", out.data);
            cr_buf_free(&out);
        } else {
            printf("loss %.6f perplexity %.4f over %llu tokens (%ld windows of %d x %d)\n", loss,
                   exp(loss), (unsigned long long)tokens, windows, B, T);
        }
    }
    free(inputs);
    free(targets);
    engine_free(e);
    data_close(&d);
    free(params);
    return code;
}
