/* bench.c — `trainer bench`: training tokens/s and achieved GFLOP/s of the sphere engine on a
 * named configuration with random tokens (no files), plus peak resident memory. The comparison
 * with PyTorch and OpenBLAS is bench/trainer/bench.sh's; this only measures ourselves. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "buf.h"
#include "commands.h"
#include "json.h"
#include "log.h"
#include "matmul.h"
#include "model.h"
#include "progress.h"
#include "rng.h"
#include "spheres.h"

/* CPU time of the whole process (all threads): with other jobs on the machine, tokens per
 * CPU-second move less than tokens per wall-second. */
static double cpu_seconds(void)
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return (double)usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 +
           (double)usage.ru_stime.tv_sec + usage.ru_stime.tv_usec * 1e-6;
}

int bench_run(const bench_options *o, cr_err *err)
{
    gpt2_config cfg;
    int B, T;
    if (strcmp(o->config, "A") == 0) {
        cfg = (gpt2_config){128, 8192, 8192, 4, 8, 256};
        B = 24;
        T = 128;
    } else if (strcmp(o->config, "B") == 0) {
        cfg = (gpt2_config){256, 50257, 50304, 12, 12, 768};
        B = 12;
        T = 256;
    } else if (strcmp(o->config, "default") == 0) {
        /* `trainer train`'s defaults, with the pipeline's vocabulary */
        cfg = (gpt2_config){64, 2048, 2048, 4, 6, 192};
        B = 12;
        T = 64;
    } else if (strcmp(o->config, "tiny") == 0) {
        cfg = (gpt2_config){32, 512, 512, 2, 4, 64};
        B = 12;
        T = 32;
    } else {
        return cr_fail(err, CR_EUSAGE, "--config: expected A, B, default or tiny, not \"%s\"",
                       o->config);
    }
    sphere_engine *e;
    int code = engine_new(&e, &cfg, B, T, o->threads, err);
    if (code)
        return code;
    gpt2_init_params(&cfg, engine_params(e), 1);
    int *inputs = malloc((size_t)B * T * sizeof(int)),
        *targets = malloc((size_t)B * T * sizeof(int));
    if (!inputs || !targets) {
        engine_free(e);
        free(inputs);
        free(targets);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    rng_state rng;
    rng_seed(&rng, 42);
    for (int i = 0; i < B * T; i++) {
        inputs[i] = (int)(rng_next(&rng) % (uint64_t)cfg.vocab_size);
        targets[i] = (int)(rng_next(&rng) % (uint64_t)cfg.vocab_size);
    }
    engine_hparams hp = {0.9f, 0.95f, 1e-8f, 0.1f, 1.0f, 0.0f, 0.0f}; /* AdamW only */
    double loss, norm, start = 0, cpu_start = 0;
    for (int step = 0; step <= o->steps; step++) {
        if (step == 1) {
            start = cr_now_s();
            cpu_start = cpu_seconds();
        }
        engine_forward_backward(e, inputs, targets, B, &loss, &norm);
        engine_adamw(e, &hp, 1e-4f, step + 1);
    }
    double seconds = cr_now_s() - start, cpu = cpu_seconds() - cpu_start;
    double tokens_per_s = (double)o->steps * B * T / seconds;
    double gflops = tokens_per_s * gpt2_flops_per_token(&cfg, T) / 1e9;
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double peak_mib = (double)usage.ru_maxrss / 1024.0;
    if (o->json) {
        cr_buf out;
        cr_buf_init(&out);
        cr_json j;
        cr_json_init(&j, &out);
        cr_json_object_begin(&j);
        cr_json_kv_string(&j, "config", o->config);
        cr_json_kv_int(&j, "threads", o->threads);
        cr_json_kv_string(&j, "kernels", kernels_level_name(kernels_level()));
        cr_json_kv_string(&j, "precision", kernels_level() == KERNEL_BF16 ? "bf16" : "fp32");
        cr_json_kv_int(&j, "parameters", (int64_t)engine_param_count(e));
        cr_json_kv_double(&j, "tokens_per_s", tokens_per_s);
        cr_json_kv_double(&j, "gflops", gflops);
        cr_json_kv_double(&j, "step_s", seconds / o->steps);
        cr_json_kv_double(&j, "cpu_s_per_step", cpu / o->steps);
        cr_json_kv_double(&j, "peak_rss_mib", peak_mib);
        cr_json_kv_double(&j, "loss", loss);
        cr_json_object_end(&j);
        printf("%s\n", out.data);
        cr_buf_free(&out);
    } else {
        printf("config %s: %zu parameters, batch %d x %d, %d threads, kernels %s\n", o->config,
               engine_param_count(e), B, T, o->threads, kernels_level_name(kernels_level()));
        printf("%.0f tokens/s, %.1f GFLOP/s, %.3f s/step (%.3f CPU s), peak RSS %.0f MiB\n",
               tokens_per_s, gflops, seconds / o->steps, cpu / o->steps, peak_mib);
    }
    free(inputs);
    free(targets);
    engine_free(e);
    return CR_OK;
}
