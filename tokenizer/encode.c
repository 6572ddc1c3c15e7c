/* encode.c — documents to shards (see encode.h): workers encode documents and parts of long
 * ones, the calling thread writes them in input order (same shards for any thread count). A run
 * is named by the SHA-256 of its documents' contents; its manifest, written last, lets later
 * runs skip documents already tokenized. The shard format is lib/shard.c's, the merge rule
 * bpe.c's; decoding shards back to bytes is at the end of this file. */
#include "encode.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpe.h"
#include "buf.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "progress.h"
#include "shard.h"

#define MANIFEST_SUFFIX ".manifest.tsv"
#define ENCODE_PART_BYTES (1u << 20) /* a long document is encoded in parts of about this */

/* The unit of work: a whole document, or one part of a long one (cut where the pieces of
 * the parts are those of the whole, pretok.h), so one big file keeps every thread busy. */
typedef struct work_item {
    size_t doc; /* index into order[] */
    uint32_t part, parts;
} work_item;

typedef struct item_slot {
    tok_ids ids;
    uint64_t bytes;
    int done, code;
    cr_err err;
} item_slot;

typedef struct encode_job {
    const tok_vocab *vocab;
    const tok_pretok *pretok;
    char *const *paths;
    const size_t *order; /* the documents to encode, in output order */
    const work_item *items;
    size_t item_count;
    size_t window;    /* items encoded ahead of the writer */
    item_slot *slots; /* item i in slots[i % window] */
    size_t next_item, written;
    int stop;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    cr_progress *progress;
} encode_job;

typedef struct encode_worker {
    encode_job *job;
    tok_encoder encoder;
} encode_worker;

/* Encodes one item into its slot: a whole file read, or a part of a mapped file. */
static int encode_item(encode_worker *w, const work_item *item, item_slot *slot)
{
    encode_job *job = w->job;
    const char *path = job->paths[job->order[item->doc]];
    slot->ids.count = 0;
    slot->bytes = 0;
    if (item->part == 0 && tok_ids_push(&slot->ids, job->vocab->eot_id))
        return cr_fail(&slot->err, CR_EOTHER, "out of memory");
    int code;
    if (item->parts == 1) {
        char *text = NULL;
        size_t len = 0;
        code = cr_read_file(path, &text, &len, 0, &slot->err);
        if (!code)
            code = tok_encode(&w->encoder, (const uint8_t *)text, len, &slot->ids, &slot->err);
        free(text);
        slot->bytes = len;
    } else {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
            code = cr_fail_errno(&slot->err, cr_exit_for_errno(errno), "reading %s", path);
            if (fd >= 0)
                close(fd);
            return code;
        }
        size_t len = (size_t)st.st_size;
        void *map = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
        close(fd);
        if (map == MAP_FAILED)
            return cr_fail_errno(&slot->err, CR_EIO, "mapping %s", path);
        const uint8_t *text = map;
        size_t part_bytes = len / item->parts;
        size_t start =
            item->part == 0 ? 0 : tok_pretok_next_cut(text, len, item->part * part_bytes);
        size_t end = item->part + 1 == item->parts
                         ? len
                         : tok_pretok_next_cut(text, len, (item->part + 1) * part_bytes);
        code = tok_encode(&w->encoder, text + start, end - start, &slot->ids, &slot->err);
        munmap(map, len);
        slot->bytes = end - start;
    }
    if (code)
        cr_err_context(&slot->err, "encoding %s", path);
    return code;
}

static void *encode_thread(void *arg)
{
    encode_worker *w = arg;
    encode_job *job = w->job;
    for (;;) {
        pthread_mutex_lock(&job->lock);
        while (!job->stop && job->next_item < job->item_count &&
               job->next_item >= job->written + job->window)
            pthread_cond_wait(&job->changed, &job->lock);
        if (job->stop || job->next_item >= job->item_count) {
            pthread_mutex_unlock(&job->lock);
            return NULL;
        }
        size_t index = job->next_item++;
        pthread_mutex_unlock(&job->lock);

        item_slot *slot = &job->slots[index % job->window];
        int code = encode_item(w, &job->items[index], slot);
        cr_progress_add(job->progress, slot->bytes);
        pthread_mutex_lock(&job->lock);
        slot->code = code;
        slot->done = 1;
        pthread_cond_broadcast(&job->changed);
        pthread_mutex_unlock(&job->lock);
    }
}

/* ---- manifests of earlier runs ---- */

typedef struct hash_set {
    char (*hex)[CR_SHA256_HEX_SIZE];
    size_t count, cap;
} hash_set;

static int hash_set_add(hash_set *set, const char *hex)
{
    if (cr_grow(&set->hex, &set->cap, set->count + 1, sizeof *set->hex) < 0)
        return -1;
    memcpy(set->hex[set->count++], hex, CR_SHA256_HEX_SIZE);
    return 0;
}

static int compare_hex(const void *a, const void *b)
{
    return memcmp(a, b, CR_SHA256_HEX_SIZE);
}

static int hash_set_has(const hash_set *set, const char *hex)
{
    return set->count && bsearch(hex, set->hex, set->count, sizeof *set->hex, compare_hex);
}

/* Every document hash listed by a manifest in dir, except the manifest named skip_name. */
static int load_manifests(const char *dir, const char *skip_name, hash_set *set, cr_err *err)
{
    DIR *folder = opendir(dir);
    if (!folder)
        return CR_OK; /* a new output folder */
    struct dirent *entry;
    int code = CR_OK;
    while (!code && (entry = readdir(folder))) {
        size_t name_len = strlen(entry->d_name), suffix_len = strlen(MANIFEST_SUFFIX);
        if (name_len <= suffix_len ||
            strcmp(entry->d_name + name_len - suffix_len, MANIFEST_SUFFIX) != 0 ||
            strcmp(entry->d_name, skip_name) == 0)
            continue;
        char path[4096];
        code = cr_path_join(path, sizeof path, dir, entry->d_name, err);
        char *text = NULL;
        size_t len;
        if (!code)
            code = cr_read_file(path, &text, &len, 0, err);
        for (char *line = text; !code && line && *line;) {
            char *end = strchr(line, '\n');
            if (line[0] != '#' && end && end - line > 64 && line[64] == '\t') {
                char hex[CR_SHA256_HEX_SIZE];
                memcpy(hex, line, 64);
                hex[64] = 0;
                if (hash_set_add(set, hex))
                    code = cr_fail(err, CR_EOTHER, "out of memory");
            }
            line = end ? end + 1 : NULL;
        }
        free(text);
    }
    closedir(folder);
    if (!code && set->count > 1)
        qsort(set->hex, set->count, sizeof *set->hex, compare_hex);
    return code;
}

/* ---- writing ---- */

typedef struct shard_output {
    const tok_encode_options *options;
    const char *run_id;
    int version;
    int open;
    uint64_t index;
    char name[128];
    cr_shard_writer *writer;
} shard_output;

static int shard_put(shard_output *s, const uint32_t *ids, size_t count, cr_err *err)
{
    while (count > 0) {
        if (!s->open) {
            char path[4096];
            snprintf(s->name, sizeof s->name, "shard-%s-%04llu.bin", s->run_id,
                     (unsigned long long)s->index);
            int code = cr_path_join(path, sizeof path, s->options->out_dir, s->name, err);
            if (!code)
                code = cr_shard_writer_open(s->writer, path, s->version, err);
            if (code)
                return code;
            s->open = 1;
        }
        uint64_t room = s->options->shard_tokens - s->writer->token_count;
        size_t part = count < room ? count : (size_t)room;
        int code = cr_shard_writer_put(s->writer, ids, part, err);
        if (code)
            return code;
        ids += part;
        count -= part;
        if (s->writer->token_count == s->options->shard_tokens) {
            code = cr_shard_writer_commit(s->writer, err);
            s->open = 0;
            s->index++;
            if (code)
                return code;
        }
    }
    return CR_OK;
}

/* SHA-256 of every input, on several threads (the first serial step of a run). */
typedef struct hash_job {
    char *const *paths;
    char (*hashes)[CR_SHA256_HEX_SIZE];
    size_t count;
    atomic_size_t next;
    atomic_int failed;
    cr_err err; /* the first failure's */
    pthread_mutex_t lock;
} hash_job;

static void *hash_thread(void *arg)
{
    hash_job *job = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->count || atomic_load(&job->failed))
            return NULL;
        cr_err err = {0};
        if (cr_sha256_file_hex(job->paths[i], job->hashes[i], &err)) {
            pthread_mutex_lock(&job->lock);
            if (!atomic_load(&job->failed))
                job->err = err;
            atomic_store(&job->failed, 1);
            pthread_mutex_unlock(&job->lock);
        }
    }
}

static int hash_inputs(char *const *paths, size_t count, char (*hashes)[CR_SHA256_HEX_SIZE],
                       int threads, cr_err *err)
{
    hash_job job = {.paths = paths, .hashes = hashes, .count = count};
    pthread_mutex_init(&job.lock, NULL);
    pthread_t ids[64];
    int started = 0;
    if (threads > 64)
        threads = 64;
    for (int t = 1; t < threads && (size_t)t < count; t++)
        if (pthread_create(&ids[started], NULL, hash_thread, &job) == 0)
            started++;
    hash_thread(&job);
    for (int t = 0; t < started; t++)
        pthread_join(ids[t], NULL);
    pthread_mutex_destroy(&job.lock);
    if (atomic_load(&job.failed)) {
        *err = job.err;
        return err->code;
    }
    return CR_OK;
}

static int compare_doc_hash(const void *a, const void *b, void *hashes)
{
    const char(*hex)[CR_SHA256_HEX_SIZE] = hashes;
    return memcmp(hex[*(const size_t *)a], hex[*(const size_t *)b], CR_SHA256_HEX_SIZE);
}

static int encode_locked(const tok_vocab *v, const tok_encode_options *o, char *const *paths,
                         size_t path_count, tok_encode_report *report, double started, cr_err *err)
{
    int code = CR_OK;

    /* Content hashes: they name the run and find documents tokenized before. */
    char(*hashes)[CR_SHA256_HEX_SIZE] = calloc(path_count + 1, sizeof *hashes);
    size_t *order = calloc(path_count + 1, sizeof *order);
    if (!hashes || !order) {
        free(hashes);
        free(order);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    code = hash_inputs(paths, path_count, hashes, o->threads, err);
    /* The run id needs the set of new documents, which needs the manifests of other runs,
     * which needs the run id to leave its own manifest out: hash all inputs first. */
    size_t *sorted = calloc(path_count + 1, sizeof *sorted);
    if (!code && !sorted)
        code = cr_fail(err, CR_EOTHER, "out of memory");
    char run_id[17] = "";
    hash_set seen = {0};
    if (!code) {
        for (size_t i = 0; i < path_count; i++)
            sorted[i] = i;
        qsort_r(sorted, path_count, sizeof *sorted, compare_doc_hash, hashes);
        cr_buf key;
        cr_buf_init(&key);
        for (size_t i = 0; i < path_count; i++)
            cr_buf_printf(&key, "%s\n", hashes[sorted[i]]);
        char hex[CR_SHA256_HEX_SIZE];
        cr_sha256_hex(key.data ? key.data : "", key.len, hex);
        cr_buf_free(&key);
        memcpy(run_id, hex, 16);
        run_id[16] = 0;
        char manifest_name[128];
        snprintf(manifest_name, sizeof manifest_name, "shard-%s%s", run_id, MANIFEST_SUFFIX);
        code = load_manifests(o->out_dir, manifest_name, &seen, err);
    }
    /* The same content twice in this batch is encoded once: the first path keeps it. */
    unsigned char *duplicate = calloc(path_count + 1, 1);
    if (!code && !duplicate)
        code = cr_fail(err, CR_EOTHER, "out of memory");
    for (size_t i = 0; !code && i < path_count;) {
        size_t run_end = i + 1, first = sorted[i];
        while (run_end < path_count &&
               memcmp(hashes[sorted[run_end]], hashes[sorted[i]], CR_SHA256_HEX_SIZE) == 0) {
            if (sorted[run_end] < first)
                first = sorted[run_end];
            run_end++;
        }
        for (size_t k = i; k < run_end; k++)
            duplicate[sorted[k]] = sorted[k] != first;
        i = run_end;
    }
    size_t doc_count = 0;
    for (size_t i = 0; i < path_count && !code; i++) {
        if (hash_set_has(&seen, hashes[i])) {
            report->skipped++;
            cr_debug("%s: already tokenized in an earlier run, skipped", paths[i]);
        } else if (duplicate[i]) {
            report->skipped++;
            cr_debug("%s: same content as another input, skipped", paths[i]);
        } else {
            order[doc_count++] = i;
        }
    }
    free(duplicate);
    cr_debug("hashed %zu inputs in %.3f s: %zu to encode", path_count, cr_now_s() - started,
             doc_count);
    free(sorted);
    free(seen.hex);
    memcpy(report->run_id, run_id, sizeof run_id);
    if (code || doc_count == 0) {
        free(hashes);
        free(order);
        report->seconds = cr_now_s() - started;
        return code;
    }

    /* Documents over two parts' worth of bytes are split (built-in patterns only). */
    int can_cut = tok_pretok_can_cut(v->pattern);
    size_t item_count = 0, item_cap = doc_count + 16;
    work_item *items = malloc(item_cap * sizeof *items);
    uint64_t total_bytes = 0;
    for (size_t d = 0; items && d < doc_count; d++) {
        struct stat st;
        uint64_t size = stat(paths[order[d]], &st) == 0 ? (uint64_t)st.st_size : 0;
        total_bytes += size;
        uint32_t parts =
            can_cut && size >= 2 * ENCODE_PART_BYTES ? (uint32_t)(size / ENCODE_PART_BYTES) : 1;
        if (cr_grow(&items, &item_cap, item_count + parts, sizeof *items) < 0) {
            free(items);
            items = NULL;
            break;
        }
        for (uint32_t part = 0; part < parts; part++)
            items[item_count++] = (work_item){d, part, parts};
    }
    if (!items) {
        free(hashes);
        free(order);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    int threads = o->threads > 0 ? o->threads : 1;
    if ((size_t)threads > item_count)
        threads = (int)item_count;
    cr_progress progress;
    cr_progress_begin(&progress, "encoding", "B", total_bytes, o->progress_mode);
    encode_job job = {.vocab = v,
                      .paths = paths,
                      .order = order,
                      .items = items,
                      .item_count = item_count,
                      .window = (size_t)threads * 4,
                      .progress = &progress};
    tok_pretok pretok;
    code = tok_pretok_compile(&pretok, v->pattern, err);
    job.pretok = &pretok;
    job.slots = calloc(job.window, sizeof *job.slots);
    encode_worker *workers = calloc((size_t)threads, sizeof *workers);
    pthread_t *thread_ids = calloc((size_t)threads, sizeof *thread_ids);
    cr_shard_writer *writer = malloc(sizeof *writer);
    if (!code && (!job.slots || !workers || !thread_ids || !writer))
        code = cr_fail(err, CR_EOTHER, "out of memory");
    pthread_mutex_init(&job.lock, NULL);
    pthread_cond_init(&job.changed, NULL);
    int started_threads = 0;
    for (int t = 0; t < threads && !code; t++) {
        workers[t].job = &job;
        code = tok_encoder_init(&workers[t].encoder, v, &pretok, err);
        if (!code && pthread_create(&thread_ids[t], NULL, encode_thread, &workers[t]) != 0)
            code = cr_fail(err, CR_EOTHER, "cannot start an encoding thread");
        if (!code)
            started_threads++;
    }

    shard_output out = {o, run_id, cr_shard_version_for_vocab(v->vocab_size), 0, 0, "", writer};
    cr_buf manifest;
    cr_buf_init(&manifest);
    cr_buf_printf(&manifest, "# sha256\tbytes\ttokens\tshard\ttoken_offset\tpath\n");
    uint64_t doc_bytes = 0, doc_tokens = 0, doc_offset = 0;
    char doc_shard[128] = "";
    for (size_t i = 0; i < item_count && !code; i++) {
        const work_item *item = &items[i];
        item_slot *slot = &job.slots[i % job.window];
        pthread_mutex_lock(&job.lock);
        while (!slot->done)
            pthread_cond_wait(&job.changed, &job.lock);
        pthread_mutex_unlock(&job.lock);
        if (slot->code) {
            code = slot->code;
            *err = slot->err;
            break;
        }
        if (item->part == 0) { /* the shard where the document starts, and its offset there */
            if (!out.open)
                snprintf(out.name, sizeof out.name, "shard-%s-%04llu.bin", run_id,
                         (unsigned long long)out.index);
            doc_offset = out.open ? writer->token_count : 0;
            snprintf(doc_shard, sizeof doc_shard, "%s", out.name);
            doc_bytes = doc_tokens = 0;
        }
        code = shard_put(&out, slot->ids.ids, slot->ids.count, err);
        doc_bytes += slot->bytes;
        doc_tokens += slot->ids.count;
        report->bytes += slot->bytes;
        report->tokens += slot->ids.count;
        if (item->part + 1 == item->parts) {
            size_t d = item->doc;
            cr_buf_printf(&manifest, "%s\t%llu\t%llu\t%s\t%llu\t%s\n", hashes[order[d]],
                          (unsigned long long)doc_bytes, (unsigned long long)doc_tokens, doc_shard,
                          (unsigned long long)doc_offset, paths[order[d]]);
            report->documents++;
        }
        pthread_mutex_lock(&job.lock);
        slot->done = 0;
        job.written++;
        pthread_cond_broadcast(&job.changed);
        pthread_mutex_unlock(&job.lock);
    }
    pthread_mutex_lock(&job.lock);
    job.stop = 1;
    pthread_cond_broadcast(&job.changed);
    pthread_mutex_unlock(&job.lock);
    for (int t = 0; t < started_threads; t++)
        pthread_join(thread_ids[t], NULL);
    cr_progress_end(&progress);
    cr_debug("encoded %zu documents (%zu parts) at %.3f s", doc_count, item_count,
             cr_now_s() - started);
    if (!code && out.open) {
        code = cr_shard_writer_commit(writer, err);
        out.open = 0;
        out.index++;
    } else if (out.open) {
        cr_shard_writer_abort(writer);
    }
    report->shards = out.index;
    if (!code && manifest.failed)
        code = cr_fail(err, CR_EOTHER, "out of memory writing the manifest");
    if (!code) {
        char name[128], path[4096];
        snprintf(name, sizeof name, "shard-%s%s", run_id, MANIFEST_SUFFIX);
        code = cr_path_join(path, sizeof path, o->out_dir, name, err);
        if (!code)
            code = cr_write_file_atomic(path, manifest.data, manifest.len, err);
    }
    cr_buf_free(&manifest);
    for (int t = 0; t < threads && workers; t++)
        tok_encoder_free(&workers[t].encoder);
    for (size_t i = 0; job.slots && i < job.window; i++)
        tok_ids_free(&job.slots[i].ids);
    pthread_mutex_destroy(&job.lock);
    pthread_cond_destroy(&job.changed);
    tok_pretok_free(&pretok);
    free(job.slots);
    free(workers);
    free(thread_ids);
    free(writer);
    free(items);
    free(hashes);
    free(order);
    report->seconds = cr_now_s() - started;
    return code;
}

/* Runs into one folder take turns (DIR/.encode.lock), so that a document in two batches
 * running at once is still tokenized once: the second run sees the first one's manifest. */
int tok_encode_files(const tok_vocab *v, const tok_encode_options *o, char *const *paths,
                     size_t path_count, tok_encode_report *report, cr_err *err)
{
    memset(report, 0, sizeof *report);
    if (v->eot_id == TOK_NONE)
        return cr_fail(err, CR_EDATA, "the tokenizer has no end-of-text special token");
    double started = cr_now_s();
    int code = cr_mkdir_p(o->out_dir, err);
    if (code)
        return code;
    cr_remove_stale_temporaries(o->out_dir);
    char lock_path[4096];
    code = cr_path_join(lock_path, sizeof lock_path, o->out_dir, ".encode.lock", err);
    if (code)
        return code;
    int lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock < 0)
        return cr_fail_errno(err, CR_EIO, "creating %s", lock_path);
    if (flock(lock, LOCK_EX) < 0) {
        code = cr_fail_errno(err, CR_ETEMP, "locking %s", lock_path);
        close(lock);
        return code;
    }
    code = encode_locked(v, o, paths, path_count, report, started, err);
    close(lock);
    return code;
}

/* ---- decoding ---- */

/* Writes the bytes of token id (checked against the vocabulary) to out. */
static int decode_token(const tok_vocab *v, const char *name, uint32_t id, uint64_t position,
                        FILE *out, int skip_special, cr_err *err)
{
    size_t len;
    const uint8_t *bytes = tok_vocab_bytes(v, id, &len);
    if (!bytes)
        return cr_fail(err, CR_EDATA, "%s: token %u at position %llu is not in the vocabulary",
                       name, id, (unsigned long long)position);
    if (skip_special && tok_vocab_kind(v, id) == TOK_SPECIAL)
        return CR_OK;
    if (fwrite(bytes, 1, len, out) != len)
        return cr_fail_errno(err, CR_EIO, "writing the decoded bytes");
    return CR_OK;
}

/* Reads up to len bytes (fewer only at the end of the stream). */
static ssize_t read_full(int fd, uint8_t *buffer, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buffer + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        got += (size_t)n;
    }
    return (ssize_t)got;
}

/* A shard read as a stream (standard input, a pipe): the header is checked before anything
 * else is read, then the tokens are decoded as they arrive, nothing is stored, and the count
 * must match the header's exactly. */
static int decode_stream(const tok_vocab *v, int fd, const char *name, FILE *out, int skip_special,
                         uint64_t *token_count, cr_err *err)
{
    uint8_t header[CR_SHARD_HEADER_BYTES];
    ssize_t got = read_full(fd, header, sizeof header);
    if (got < 0)
        return cr_fail_errno(err, CR_EIO, "reading %s", name);
    if (got < (ssize_t)sizeof header)
        return cr_fail(err, CR_EDATA, "shard %s: truncated header (%zd of %d bytes)", name, got,
                       CR_SHARD_HEADER_BYTES);
    int version;
    uint64_t count;
    int code = cr_shard_parse_header(header, -1, name, &version, &count, err);
    if (code)
        return code;
    size_t width = version == 1 ? 2 : 4;
    uint8_t chunk[1 << 16];
    uint64_t position = 0;
    for (;;) {
        got = read_full(fd, chunk, sizeof chunk);
        if (got < 0)
            return cr_fail_errno(err, CR_EIO, "reading %s", name);
        size_t tokens = (size_t)got / width;
        if (position + tokens > count)
            return cr_fail(err, CR_EDATA, "shard %s: more tokens than the %llu its header says",
                           name, (unsigned long long)count);
        for (size_t i = 0; i < tokens; i++) {
            const uint8_t *p = chunk + i * width;
            uint32_t id = width == 2 ? (uint32_t)(p[0] | p[1] << 8)
                                     : (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                                           (uint32_t)p[3] << 24;
            if ((code = decode_token(v, name, id, position + i, out, skip_special, err)))
                return code;
        }
        position += tokens;
        if ((size_t)got < sizeof chunk) {
            if ((size_t)got % width || position < count)
                return cr_fail(err, CR_EDATA,
                               "shard %s: truncated: header says %llu tokens, the stream ends "
                               "after %llu",
                               name, (unsigned long long)count, (unsigned long long)position);
            break;
        }
    }
    *token_count = count;
    if (fflush(out) != 0)
        return cr_fail_errno(err, CR_EIO, "writing the decoded bytes");
    return CR_OK;
}

int tok_decode_shard(const tok_vocab *v, const char *path, FILE *out, int skip_special,
                     uint64_t *token_count, cr_err *err)
{
    *token_count = 0;
    if (strcmp(path, "-") == 0)
        return decode_stream(v, 0, "standard input", out, skip_special, token_count, err);
    struct stat st;
    if (stat(path, &st) < 0)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening shard %s", path);
    if (S_ISDIR(st.st_mode))
        return cr_fail(err, CR_EUSAGE, "decode reads one shard file (or -): %s is a folder", path);
    if (!S_ISREG(st.st_mode)) { /* a pipe (<(...)), a FIFO, a device: read as a stream */
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
            return cr_fail_errno(err, cr_exit_for_errno(errno), "opening shard %s", path);
        int code = decode_stream(v, fd, path, out, skip_special, token_count, err);
        close(fd);
        return code;
    }
    cr_shard shard;
    int code = cr_shard_open(&shard, path, err);
    if (code)
        return code;
    for (uint64_t i = 0; i < shard.token_count && !code; i++)
        code = decode_token(v, path, cr_shard_token(&shard, i), i, out, skip_special, err);
    *token_count = shard.token_count;
    cr_shard_close(&shard);
    if (!code && fflush(out) != 0)
        code = cr_fail_errno(err, CR_EIO, "writing the decoded bytes");
    return code;
}
