/* model.c — GPT-2's parameter layout, initialisation and llm.c checkpoint files (model.h).
 * The checkpoint is written through lib/fs.h (atomic rename) and read with plain read(2) so
 * a truncated or padded file is caught by its size. It knows nothing about optimizer state
 * (state.c) or about computing with the parameters (layers_impl.h). */
#include "model.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "rng.h"

const char *const gpt2_tensor_names[GPT2_NUM_TENSORS] = {
    "wte",  "wpe",  "ln1w", "ln1b", "qkvw",    "qkvb",    "attprojw", "attprojb",
    "ln2w", "ln2b", "fcw",  "fcb",  "fcprojw", "fcprojb", "lnfw",     "lnfb"};

size_t gpt2_tensor_sizes(const gpt2_config *cfg, size_t sizes[GPT2_NUM_TENSORS])
{
    size_t Vp = (size_t)cfg->padded_vocab_size, C = (size_t)cfg->channels;
    size_t L = (size_t)cfg->num_layers, maxT = (size_t)cfg->max_seq_len;
    sizes[0] = Vp * C;
    sizes[1] = maxT * C;
    sizes[2] = L * C;
    sizes[3] = L * C;
    sizes[4] = L * 3 * C * C;
    sizes[5] = L * 3 * C;
    sizes[6] = L * C * C;
    sizes[7] = L * C;
    sizes[8] = L * C;
    sizes[9] = L * C;
    sizes[10] = L * 4 * C * C;
    sizes[11] = L * 4 * C;
    sizes[12] = L * C * 4 * C;
    sizes[13] = L * C;
    sizes[14] = C;
    sizes[15] = C;
    size_t total = 0;
    for (int i = 0; i < GPT2_NUM_TENSORS; i++)
        total += sizes[i];
    return total;
}

int gpt2_tensor_decays(int tensor)
{
    return tensor == 0 || tensor == 1 || tensor == 4 || tensor == 6 || tensor == 10 || tensor == 12;
}

int gpt2_padded_vocab(int vocab_size)
{
    return (vocab_size + 127) / 128 * 128;
}

int gpt2_config_check(const gpt2_config *cfg, cr_err *err)
{
    if (cfg->max_seq_len < 1 || cfg->max_seq_len > 1 << 16)
        return cr_fail(err, CR_EUSAGE, "sequence length %d is outside 1..65536", cfg->max_seq_len);
    if (cfg->vocab_size < 2 || cfg->vocab_size > 1 << 24)
        return cr_fail(err, CR_EUSAGE, "vocabulary size %d is outside 2..16777216",
                       cfg->vocab_size);
    if (cfg->padded_vocab_size < cfg->vocab_size || cfg->padded_vocab_size > (1 << 24) + 128)
        return cr_fail(err, CR_EUSAGE, "padded vocabulary %d is smaller than the vocabulary %d",
                       cfg->padded_vocab_size, cfg->vocab_size);
    if (cfg->num_layers < 1 || cfg->num_layers > 256)
        return cr_fail(err, CR_EUSAGE, "layer count %d is outside 1..256", cfg->num_layers);
    if (cfg->channels < 1 || cfg->channels > 1 << 14)
        return cr_fail(err, CR_EUSAGE, "channel count %d is outside 1..16384", cfg->channels);
    if (cfg->num_heads < 1 || cfg->channels % cfg->num_heads != 0)
        return cr_fail(err, CR_EUSAGE, "%d heads do not divide %d channels", cfg->num_heads,
                       cfg->channels);
    return CR_OK;
}

double gpt2_flops_per_token(const gpt2_config *cfg, int seq_len)
{
    size_t sizes[GPT2_NUM_TENSORS];
    double params = (double)gpt2_tensor_sizes(cfg, sizes);
    return 6.0 * params + 12.0 * cfg->num_layers * seq_len * cfg->channels;
}

void gpt2_init_params(const gpt2_config *cfg, float *params, uint64_t seed)
{
    size_t sizes[GPT2_NUM_TENSORS];
    size_t total = gpt2_tensor_sizes(cfg, sizes);
    memset(params, 0, total * sizeof *params);
    rng_state rng;
    rng_seed(&rng, seed);
    double residual_std = 0.02 / sqrt(2.0 * cfg->num_layers);
    float *p = params;
    for (int t = 0; t < GPT2_NUM_TENSORS; t++) {
        size_t n = sizes[t];
        if (t == 0) {
            /* only the real vocabulary rows; padded rows stay 0 and never get a gradient */
            size_t real = (size_t)cfg->vocab_size * (size_t)cfg->channels;
            for (size_t i = 0; i < real; i++)
                p[i] = (float)(0.02 * rng_normal(&rng));
        } else if (t == 1 || t == 4 || t == 10) {
            for (size_t i = 0; i < n; i++)
                p[i] = (float)(0.02 * rng_normal(&rng));
        } else if (t == 6 || t == 12) {
            for (size_t i = 0; i < n; i++)
                p[i] = (float)(residual_std * rng_normal(&rng));
        } else if (t == 2 || t == 8 || t == 14) {
            for (size_t i = 0; i < n; i++)
                p[i] = 1.0f;
        }
        p += n;
    }
}

void gpt2_header_from_config(const gpt2_config *cfg, int32_t header[GPT2_HEADER_INTS])
{
    memset(header, 0, GPT2_HEADER_INTS * sizeof *header);
    header[0] = GPT2_MAGIC;
    header[1] = GPT2_VERSION;
    header[2] = cfg->max_seq_len;
    header[3] = cfg->vocab_size;
    header[4] = cfg->num_layers;
    header[5] = cfg->num_heads;
    header[6] = cfg->channels;
    header[7] = cfg->padded_vocab_size;
}

int gpt2_checkpoint_stage(cr_atomic_file *file, const char *path, const gpt2_config *cfg,
                          const float *params, cr_err *err)
{
    int32_t header[GPT2_HEADER_INTS];
    gpt2_header_from_config(cfg, header);
    size_t sizes[GPT2_NUM_TENSORS];
    size_t total = gpt2_tensor_sizes(cfg, sizes);
    int code = cr_atomic_open(file, path, err);
    if (code)
        return code;
    code = cr_atomic_write(file, header, sizeof header, err);
    if (!code)
        code = cr_atomic_write(file, params, total * sizeof *params, err);
    if (code)
        cr_atomic_abort(file);
    return code;
}

int gpt2_checkpoint_write(const char *path, const gpt2_config *cfg, const float *params,
                          cr_err *err)
{
    cr_atomic_file file;
    int code = gpt2_checkpoint_stage(&file, path, cfg, params, err);
    return code ? code : cr_atomic_commit(&file, err);
}

static int read_exact(int fd, void *out, size_t len, const char *path, cr_err *err)
{
    char *p = out;
    while (len > 0) {
        ssize_t n = read(fd, p, len > (1u << 30) ? (1u << 30) : len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return cr_fail_errno(err, CR_EIO, "reading checkpoint %s", path);
        }
        if (n == 0)
            return cr_fail(err, CR_EDATA, "checkpoint %s: truncated", path);
        p += n;
        len -= (size_t)n;
    }
    return CR_OK;
}

static int open_checked(const char *path, gpt2_config *cfg, int *fd_out, cr_err *err)
{
    /* O_NONBLOCK: a FIFO under a checkpoint's name must not hang the open (it is refused
     * below; reads of a regular file ignore the flag) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening checkpoint %s", path);
    int32_t header[GPT2_HEADER_INTS];
    struct stat st;
    int code =
        fstat(fd, &st) < 0 ? cr_fail_errno(err, CR_EIO, "reading checkpoint %s", path) : CR_OK;
    if (!code && !S_ISREG(st.st_mode))
        code = cr_fail(err, CR_EDATA, "checkpoint %s: not a regular file", path);
    if (!code && (size_t)st.st_size < sizeof header)
        code = cr_fail(err, CR_EDATA, "checkpoint %s: truncated header (%lld of %zu bytes)", path,
                       (long long)st.st_size, sizeof header);
    if (!code)
        code = read_exact(fd, header, sizeof header, path, err);
    if (!code && header[0] != GPT2_MAGIC)
        code = cr_fail(err, CR_EDATA, "checkpoint %s: bad magic %d (expected %d)", path, header[0],
                       GPT2_MAGIC);
    if (!code && header[1] != GPT2_VERSION)
        code = cr_fail(err, CR_EDATA,
                       "checkpoint %s: version %d is not supported (expected %d: fp32, padded "
                       "vocabulary)",
                       path, header[1], GPT2_VERSION);
    if (!code) {
        cfg->max_seq_len = header[2];
        cfg->vocab_size = header[3];
        cfg->num_layers = header[4];
        cfg->num_heads = header[5];
        cfg->channels = header[6];
        cfg->padded_vocab_size = header[7];
        cr_err why;
        if (gpt2_config_check(cfg, &why))
            code = cr_fail(err, CR_EDATA, "checkpoint %s: impossible shape: %s", path, why.msg);
    }
    if (!code) {
        size_t sizes[GPT2_NUM_TENSORS];
        size_t expected = sizeof header + gpt2_tensor_sizes(cfg, sizes) * sizeof(float);
        if ((size_t)st.st_size != expected)
            code = cr_fail(err, CR_EDATA,
                           "checkpoint %s: %s: header promises %zu bytes, file has %lld", path,
                           (size_t)st.st_size < expected ? "truncated" : "trailing bytes", expected,
                           (long long)st.st_size);
    }
    if (code) {
        close(fd);
        return code;
    }
    *fd_out = fd;
    return CR_OK;
}

int gpt2_checkpoint_read_config(const char *path, gpt2_config *cfg, cr_err *err)
{
    int fd;
    int code = open_checked(path, cfg, &fd, err);
    if (!code)
        close(fd);
    return code;
}

int gpt2_checkpoint_read(const char *path, gpt2_config *cfg, float **params, cr_err *err)
{
    int fd;
    int code = open_checked(path, cfg, &fd, err);
    if (code)
        return code;
    size_t sizes[GPT2_NUM_TENSORS];
    size_t total = gpt2_tensor_sizes(cfg, sizes);
    float *p = malloc(total * sizeof *p);
    if (!p) {
        close(fd);
        return cr_fail(err, CR_EOTHER, "checkpoint %s: out of memory for %zu parameters", path,
                       total);
    }
    code = read_exact(fd, p, total * sizeof *p, path, err);
    close(fd);
    if (!code) {
        for (size_t i = 0; i < total; i++)
            if (!isfinite(p[i])) {
                code =
                    cr_fail(err, CR_EDATA, "checkpoint %s: parameter %zu is not finite", path, i);
                break;
            }
    }
    if (code) {
        free(p);
        return code;
    }
    *params = p;
    return CR_OK;
}
