/* test_torch_ref.c — the trainer against a reference GPT-2 in PyTorch (torch_ref.py, Debian's
 * python3-torch), as llm.c's test_gpt2 does: the same checkpoint and batch give the same loss
 * (relative error under 1e-5) and the same gradient for every tensor (under 1e-3 relative to
 * the tensor's largest gradient), and 10 AdamW steps with clipping give the same losses (under
 * 1e-4). The batch of 14 sequences puts two sequences on spheres 0 and 1. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "check.h"
#include "layers.h"
#include "model.h"
#include "rng.h"
#include "spheres.h"

static const gpt2_config cfg = {.max_seq_len = 16,
                                .vocab_size = 100,
                                .padded_vocab_size = 128,
                                .num_layers = 2,
                                .num_heads = 4,
                                .channels = 32};
enum { B = 14, T = 12, STEPS = 10 };
static const double lr = 1e-3, wd = 0.1, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, clip = 0.5;

TEST(matches_pytorch)
{
    char *dir = check_tmpdir();
    char ckpt[512], batch[512], out[512], command[2048];
    snprintf(ckpt, sizeof ckpt, "%s/model.bin", dir);
    snprintf(batch, sizeof batch, "%s/batch.bin", dir);
    snprintf(out, sizeof out, "%s/reference.bin", dir);
    size_t sizes[GPT2_NUM_TENSORS];
    size_t P = gpt2_tensor_sizes(&cfg, sizes);
    float *params = malloc(P * sizeof *params);
    gpt2_init_params(&cfg, params, 5);
    cr_err err;
    CHECK(gpt2_checkpoint_write(ckpt, &cfg, params, &err) == 0);
    int32_t data[2 + 2 * B * T];
    int inputs[B * T], targets[B * T];
    rng_state r;
    rng_seed(&r, 3);
    data[0] = B;
    data[1] = T;
    for (int i = 0; i < B * T; i++) {
        inputs[i] = data[2 + i] = (int32_t)(rng_next(&r) % (uint64_t)cfg.vocab_size);
        targets[i] = data[2 + B * T + i] = (int32_t)(rng_next(&r) % (uint64_t)cfg.vocab_size);
    }
    FILE *f = fopen(batch, "wb");
    CHECK(f && fwrite(data, sizeof data, 1, f) == 1);
    if (f)
        fclose(f);
    snprintf(command, sizeof command,
             "/usr/bin/python3 tests/trainer/torch_ref.py %s %s %s %d %g %g %g %g %g %g", ckpt,
             batch, out, STEPS, lr, wd, beta1, beta2, eps, clip);
    int status = system(command);
    CHECK(status == 0);
    size_t ref_bytes = 8 + P * 4 + STEPS * 8;
    char *ref = calloc(1, ref_bytes);
    f = fopen(out, "rb");
    CHECK(f && fread(ref, 1, ref_bytes, f) == ref_bytes);
    if (f)
        fclose(f);
    double ref_loss, ref_losses[STEPS];
    memcpy(&ref_loss, ref, 8);
    const float *ref_grads = (const float *)(ref + 8);
    memcpy(ref_losses, ref + 8 + P * 4, sizeof ref_losses);

    sphere_engine *e;
    CHECK(engine_new(&e, &cfg, B, T, 3, &err) == 0);
    memcpy(engine_params(e), params, P * sizeof(float));
    engine_hparams hp = {(float)beta1, (float)beta2, (float)eps, (float)wd, (float)clip, 0, 0};
    for (int step = 0; step < STEPS; step++) {
        double loss, norm;
        engine_forward_backward(e, inputs, targets, B, &loss, &norm);
        if (step == 0) {
            printf("# loss %.9f, PyTorch %.9f; gradient norm %.4f (clipped at %g)\n", loss,
                   ref_loss, norm, clip);
            CHECK(norm > clip); /* the clipping path is exercised */
            CHECK(fabs(loss - ref_loss) / fabs(ref_loss) < 1e-5);
            const float *grads = engine_grads(e);
            size_t at = 0;
            for (int t = 0; t < GPT2_NUM_TENSORS; t++) {
                double largest = 1e-30, worst = 0;
                for (size_t i = 0; i < sizes[t]; i++)
                    largest = fmax(largest, fabs(ref_grads[at + i]));
                for (size_t i = 0; i < sizes[t]; i++)
                    worst = fmax(worst, fabs(grads[at + i] - ref_grads[at + i]) / largest);
                if (worst >= 1e-3)
                    printf("# gradient of %s: relative error %.3g\n", gpt2_tensor_names[t], worst);
                CHECK(worst < 1e-3);
                CHECK(largest > 1e-6);
                at += sizes[t];
            }
        }
        double rel = fabs(loss - ref_losses[step]) / fabs(ref_losses[step]);
        printf("# step %d loss %.7f PyTorch %.7f\n", step, loss, ref_losses[step]);
        CHECK(rel < 1e-4);
        engine_adamw(e, &hp, (float)lr, step + 1);
    }
    CHECK(ref_losses[STEPS - 1] < ref_losses[0] - 0.05); /* the run really trains */
    engine_free(e);
    free(ref);
    free(params);
    check_rm_rf(dir);
}

int main(void)
{
    RUN(matches_pytorch);
    return check_summary();
}
