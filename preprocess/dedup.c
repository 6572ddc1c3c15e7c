/* dedup.c — fingerprints (SHA-256 of folded text, MinHash of word 5-grams) and the SQLite index
 * that remembers them across runs. The check and the insertion share one IMMEDIATE
 * transaction, so two processes never both accept the same text. It does not decide what to
 * do with a duplicate: document.c reports it. */
#include "dedup.h"

#include <immintrin.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "db.h"
#include "hash.h"

#define LAYOUT "minhash 128 fmix32, 5-word shingles, 16x8 bands, v2"

/* ---- fingerprints ------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* The 128 hash functions: h_k(x) = fmix32(x ^ seed_k), MurmurHash3's finaliser over the
 * shingle's 32-bit hash xored with a fixed seed. Fixed, because the index keeps signatures
 * across runs; 32-bit, so that AVX2 computes eight of them per instruction. */
static uint32_t seeds[PP_MINHASH_SIZE];
static pthread_once_t seeds_once = PTHREAD_ONCE_INIT;

static void seeds_init(void)
{
    uint64_t state = 0x63727973746C6E65ULL; /* "crystlne" */
    for (int i = 0; i < PP_MINHASH_SIZE; i++)
        seeds[i] = (uint32_t)(splitmix64(&state) >> 32);
}

static inline uint32_t fmix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x85EBCA6BU;
    x ^= x >> 13;
    x *= 0xC2B2AE35U;
    x ^= x >> 16;
    return x;
}

void pp_minhash_scalar(const uint32_t *shingles, size_t count, uint32_t mins[PP_MINHASH_SIZE])
{
    pthread_once(&seeds_once, seeds_init);
    for (int k = 0; k < PP_MINHASH_SIZE; k++) {
        uint32_t m = UINT32_MAX;
        for (size_t i = 0; i < count; i++) {
            uint32_t v = fmix32(shingles[i] ^ seeds[k]);
            m = v < m ? v : m;
        }
        mins[k] = m;
    }
}

/* The same as pp_minhash_scalar, eight hash functions per 256-bit register. */
__attribute__((target("avx2"))) void pp_minhash_avx2(const uint32_t *shingles, size_t count,
                                                     uint32_t mins[PP_MINHASH_SIZE])
{
    pthread_once(&seeds_once, seeds_init);
    const __m256i c1 = _mm256_set1_epi32((int)0x85EBCA6BU),
                  c2 = _mm256_set1_epi32((int)0xC2B2AE35U);
    for (int k = 0; k < PP_MINHASH_SIZE; k += 16) {
        __m256i s0 = _mm256_loadu_si256((const __m256i *)&seeds[k]);
        __m256i s1 = _mm256_loadu_si256((const __m256i *)&seeds[k + 8]);
        __m256i m0 = _mm256_set1_epi32(-1), m1 = _mm256_set1_epi32(-1);
        for (size_t i = 0; i < count; i++) {
            __m256i x = _mm256_set1_epi32((int)shingles[i]);
            __m256i a = _mm256_xor_si256(x, s0), b = _mm256_xor_si256(x, s1);
            a = _mm256_xor_si256(a, _mm256_srli_epi32(a, 16));
            b = _mm256_xor_si256(b, _mm256_srli_epi32(b, 16));
            a = _mm256_mullo_epi32(a, c1);
            b = _mm256_mullo_epi32(b, c1);
            a = _mm256_xor_si256(a, _mm256_srli_epi32(a, 13));
            b = _mm256_xor_si256(b, _mm256_srli_epi32(b, 13));
            a = _mm256_mullo_epi32(a, c2);
            b = _mm256_mullo_epi32(b, c2);
            a = _mm256_xor_si256(a, _mm256_srli_epi32(a, 16));
            b = _mm256_xor_si256(b, _mm256_srli_epi32(b, 16));
            m0 = _mm256_min_epu32(m0, a);
            m1 = _mm256_min_epu32(m1, b);
        }
        _mm256_storeu_si256((__m256i *)&mins[k], m0);
        _mm256_storeu_si256((__m256i *)&mins[k + 8], m1);
    }
}

void pp_minhash(const uint32_t *shingles, size_t count, uint32_t mins[PP_MINHASH_SIZE])
{
    if (__builtin_cpu_supports("avx2"))
        pp_minhash_avx2(shingles, count, mins);
    else
        pp_minhash_scalar(shingles, count, mins);
}

static int is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A code point that is a word on its own (CJK ideographs, kana, hangul). */
static int cjk_at(const unsigned char *p, size_t left)
{
    if (left < 3 || p[0] < 0xE3 || p[0] > 0xED)
        return 0;
    unsigned cp = (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
           (cp >= 0xAC00 && cp <= 0xD7AF);
}

/* Non-ASCII code points that separate words: general punctuation, NBSP, CJK punctuation. */
static int non_ascii_separator(const unsigned char *p, size_t left)
{
    if (p[0] == 0xC2 && left >= 2 && (p[1] == 0xA0 || p[1] == 0xAB || p[1] == 0xBB || p[1] == 0xB7))
        return 2;
    if (p[0] == 0xE2 && left >= 3 && p[1] >= 0x80 && p[1] <= 0x81)
        return 3; /* U+2000-U+207F: spaces, dashes, quotes, bullets, ellipsis */
    if (p[0] == 0xE3 && left >= 3 && p[1] == 0x80)
        return 3; /* U+3000-U+303F: CJK punctuation */
    return 0;
}

typedef struct word_hashes {
    uint64_t *hashes;
    size_t count, cap;
} word_hashes;

static void push_word(word_hashes *w, uint64_t h)
{
    if (cr_grow(&w->hashes, &w->cap, w->count + 1, sizeof *w->hashes) < 0)
        return; /* out of memory: the signature covers the words so far */
    w->hashes[w->count++] = h;
}

void pp_fingerprint_text(const char *text, size_t len, pp_fingerprint *fp)
{
    const unsigned char *p = (const unsigned char *)text;
    word_hashes words = {0};
    /* Exact: SHA-256 of the words joined by single spaces, ASCII lower-cased. Words here are
     * whitespace-separated, so punctuation still counts. */
    cr_sha256 sha;
    cr_err ignored;
    int sha_ok = cr_sha256_begin(&sha, &ignored) == CR_OK;
    unsigned char chunk[4096];
    size_t chunk_len = 0;
    int need_space = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c == ' ' || c == '\n' || c == '\t') {
            need_space = chunk_len > 0 || need_space;
            continue;
        }
        if (chunk_len + 2 > sizeof chunk) {
            if (sha_ok)
                cr_sha256_update(&sha, chunk, chunk_len);
            chunk_len = 0;
        }
        if (need_space)
            chunk[chunk_len++] = ' ';
        need_space = 0;
        chunk[chunk_len++] = (unsigned char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    if (sha_ok) {
        cr_sha256_update(&sha, chunk, chunk_len);
        cr_sha256_end(&sha, fp->exact);
    } else {
        cr_sha256_bytes(text, len, fp->exact);
    }

    /* Words for the shingles: letters and digits, case-folded. */
    for (size_t i = 0; i < len;) {
        if (cjk_at(p + i, len - i)) {
            push_word(&words, cr_mix64((uint64_t)p[i] << 16 | (uint64_t)p[i + 1] << 8 | p[i + 2]));
            i += 3;
            continue;
        }
        size_t start = i;
        uint64_t h = 1469598103934665603ULL;
        while (i < len) {
            unsigned char c = p[i];
            if (c < 0x80) {
                if (!is_word_byte(c))
                    break;
                h = (h ^ (uint64_t)(c >= 'A' && c <= 'Z' ? c + 32 : c)) * 1099511628211ULL;
                i++;
            } else {
                if (cjk_at(p + i, len - i) || non_ascii_separator(p + i, len - i))
                    break;
                h = (h ^ c) * 1099511628211ULL;
                i++;
            }
        }
        if (i > start) {
            push_word(&words, h);
        } else {
            size_t sep = p[i] >= 0x80 ? non_ascii_separator(p + i, len - i) : 0;
            i += sep ? sep : 1;
        }
    }

    /* Shingles: 5 consecutive words hashed together, folded to 32 bits (in place: shingle s
     * only reads words s..s+4). A text under 5 words is one shingle. */
    size_t shingles = words.count >= PP_SHINGLE_WORDS ? words.count - PP_SHINGLE_WORDS + 1
                                                      : (words.count ? 1 : 0);
    uint32_t *folded = malloc((shingles ? shingles : 1) * sizeof *folded);
    if (!folded)
        shingles = 0; /* out of memory: an empty signature, which matches nothing */
    for (size_t s = 0; s < shingles; s++) {
        uint64_t h = 0x736869676C65ULL;
        size_t n = words.count < PP_SHINGLE_WORDS ? words.count : PP_SHINGLE_WORDS;
        for (size_t j = 0; j < n; j++)
            h = cr_mix64(h ^ words.hashes[s + j]) + j;
        folded[s] = (uint32_t)(h ^ (h >> 32));
    }
    pp_minhash(folded, shingles, fp->minhash);
    free(folded);
    free(words.hashes);
}

double pp_minhash_similarity(const uint32_t *a, const uint32_t *b)
{
    int equal = 0;
    for (int k = 0; k < PP_MINHASH_SIZE; k++)
        equal += a[k] == b[k];
    return (double)equal / PP_MINHASH_SIZE;
}

static int64_t band_key(const uint32_t *minhash, int band)
{
    uint64_t h = 0x62616E64ULL + (uint64_t)band;
    for (int r = 0; r < PP_LSH_ROWS; r++)
        h = cr_mix64(h ^ minhash[band * PP_LSH_ROWS + r]);
    return (int64_t)h;
}

/* ---- the index --------------------------------------------------------------------------- */

struct pp_dedup {
    sqlite3 *db;
    pthread_mutex_t lock;
    char path[4096];
    sqlite3_stmt *find_exact, *find_band, *get_minhash, *delete_doc, *delete_bands, *insert_doc,
        *insert_band;
};

static int check_layout(pp_dedup *d, cr_err *err)
{
    sqlite3_stmt *stmt;
    int code = cr_db_prepare(d->db, &stmt, "SELECT value FROM info WHERE name = 'layout'", err);
    if (code)
        return code;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const char *layout = (const char *)sqlite3_column_text(stmt, 0);
        if (!layout || strcmp(layout, LAYOUT) != 0)
            code = cr_fail(err, CR_EIO, "dedup index %s: made with another layout (\"%s\")",
                           d->path, layout ? layout : "");
    } else if (rc == SQLITE_DONE) {
        code =
            cr_db_exec(d->db, "INSERT INTO info(name, value) VALUES ('layout', '" LAYOUT "')", err);
    } else {
        code = cr_db_fail(d->db, err, "reading the layout");
    }
    sqlite3_finalize(stmt);
    return code;
}

int pp_dedup_open(pp_dedup **dedup, const char *path, cr_err *err)
{
    *dedup = NULL;
    pp_dedup *d = calloc(1, sizeof *d);
    if (!d)
        return cr_fail(err, CR_EOTHER, "opening the dedup index: out of memory");
    snprintf(d->path, sizeof d->path, "%s", path);
    pthread_mutex_init(&d->lock, NULL);
    int code = CR_OK;
    code = cr_db_open(path, 30000, &d->db, err);
    if (code) {
        cr_err_context(err, "opening dedup index");
        pp_dedup_close(d);
        return code;
    }
    code = cr_db_exec(d->db,
                      "BEGIN IMMEDIATE;"
                      "CREATE TABLE IF NOT EXISTS info(name TEXT PRIMARY KEY, value TEXT);"
                      "CREATE TABLE IF NOT EXISTS docs(id TEXT PRIMARY KEY, sha256 BLOB NOT NULL,"
                      " minhash BLOB NOT NULL, source TEXT, added_at INTEGER);"
                      "CREATE INDEX IF NOT EXISTS docs_sha256 ON docs(sha256);"
                      "CREATE TABLE IF NOT EXISTS bands(band INTEGER, key INTEGER, id TEXT);"
                      "CREATE INDEX IF NOT EXISTS bands_key ON bands(band, key);"
                      "CREATE INDEX IF NOT EXISTS bands_id ON bands(id);",
                      err);
    if (!code) {
        code = check_layout(d, err);
        if (code)
            sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
        else
            code = cr_db_exec(d->db, "COMMIT", err);
    }
    if (!code)
        code = cr_db_prepare(d->db, &d->find_exact,
                             "SELECT id FROM docs WHERE sha256 = ?1 AND id <> ?2 LIMIT 1", err);
    if (!code)
        code = cr_db_prepare(
            d->db, &d->find_band,
            "SELECT id FROM bands WHERE band = ?1 AND key = ?2 AND id <> ?3 LIMIT 64", err);
    if (!code)
        code = cr_db_prepare(d->db, &d->get_minhash, "SELECT minhash FROM docs WHERE id = ?1", err);
    if (!code)
        code = cr_db_prepare(d->db, &d->delete_doc, "DELETE FROM docs WHERE id = ?1", err);
    if (!code)
        code = cr_db_prepare(d->db, &d->delete_bands, "DELETE FROM bands WHERE id = ?1", err);
    if (!code)
        code = cr_db_prepare(d->db, &d->insert_doc,
                             "INSERT OR REPLACE INTO docs(id, sha256, minhash, source, added_at)"
                             " VALUES (?1, ?2, ?3, ?4, ?5)",
                             err);
    if (!code)
        code = cr_db_prepare(d->db, &d->insert_band,
                             "INSERT INTO bands(band, key, id) VALUES (?1, ?2, ?3)", err);
    if (code) {
        if (code == CR_EOTHER || code == CR_EDATA)
            code = err->code = CR_EIO;
        pp_dedup_close(d);
        return code;
    }
    *dedup = d;
    return CR_OK;
}

void pp_dedup_close(pp_dedup *d)
{
    if (!d)
        return;
    sqlite3_stmt *stmts[] = {d->find_exact,   d->find_band,  d->get_minhash, d->delete_doc,
                             d->delete_bands, d->insert_doc, d->insert_band};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(stmts[i]);
    if (d->db)
        sqlite3_close(d->db);
    pthread_mutex_destroy(&d->lock);
    free(d);
}

/* Runs a statement that returns nothing. */
static int step_done(pp_dedup *d, sqlite3_stmt *stmt, cr_err *err, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    if (rc != SQLITE_DONE)
        return cr_db_fail(d->db, err, "%s", what);
    return CR_OK;
}

static int find_near(pp_dedup *d, const char *id, const pp_fingerprint *fp, double threshold,
                     char duplicate_of[CR_ID_SIZE], double *best, cr_err *err)
{
    char seen[64][CR_ID_SIZE];
    int seen_count = 0;
    *best = 0;
    for (int band = 0; band < PP_LSH_BANDS; band++) {
        sqlite3_bind_int(d->find_band, 1, band);
        sqlite3_bind_int64(d->find_band, 2, band_key(fp->minhash, band));
        sqlite3_bind_text(d->find_band, 3, id, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(d->find_band)) == SQLITE_ROW) {
            const char *candidate = (const char *)sqlite3_column_text(d->find_band, 0);
            if (!candidate)
                continue;
            int known = 0;
            for (int s = 0; s < seen_count && !known; s++)
                known = strcmp(seen[s], candidate) == 0;
            if (known || seen_count == 64)
                continue;
            snprintf(seen[seen_count++], CR_ID_SIZE, "%s", candidate);
            sqlite3_bind_text(d->get_minhash, 1, candidate, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(d->get_minhash) == SQLITE_ROW &&
                sqlite3_column_bytes(d->get_minhash, 0) == (int)sizeof fp->minhash) {
                uint32_t other[PP_MINHASH_SIZE];
                memcpy(other, sqlite3_column_blob(d->get_minhash, 0), sizeof other);
                double similarity = pp_minhash_similarity(fp->minhash, other);
                if (similarity >= threshold && similarity > *best) {
                    *best = similarity;
                    snprintf(duplicate_of, CR_ID_SIZE, "%s", candidate);
                }
            }
            sqlite3_reset(d->get_minhash);
        }
        sqlite3_reset(d->find_band);
        if (rc != SQLITE_DONE && rc != SQLITE_ROW)
            return cr_db_fail(d->db, err, "looking up near duplicates");
    }
    return CR_OK;
}

static int check_and_add_locked(pp_dedup *d, const char *id, const char *source,
                                const pp_fingerprint *fp, double near_threshold, int *verdict,
                                char duplicate_of[CR_ID_SIZE], double *similarity, cr_err *err)
{
    sqlite3_bind_blob(d->find_exact, 1, fp->exact, sizeof fp->exact, SQLITE_STATIC);
    sqlite3_bind_text(d->find_exact, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(d->find_exact);
    if (rc == SQLITE_ROW) {
        snprintf(duplicate_of, CR_ID_SIZE, "%s",
                 (const char *)sqlite3_column_text(d->find_exact, 0));
        *verdict = PP_EXACT_DUPLICATE;
        *similarity = 1.0;
    }
    sqlite3_reset(d->find_exact);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return cr_db_fail(d->db, err, "looking up exact duplicates");
    if (*verdict != PP_UNIQUE)
        return CR_OK;
    if (near_threshold > 0) {
        int code = find_near(d, id, fp, near_threshold, duplicate_of, similarity, err);
        if (code)
            return code;
        if (duplicate_of[0]) {
            *verdict = PP_NEAR_DUPLICATE;
            return CR_OK;
        }
    }
    sqlite3_bind_text(d->delete_bands, 1, id, -1, SQLITE_STATIC);
    int code = step_done(d, d->delete_bands, err, "replacing a document");
    if (code)
        return code;
    sqlite3_bind_text(d->insert_doc, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(d->insert_doc, 2, fp->exact, sizeof fp->exact, SQLITE_STATIC);
    sqlite3_bind_blob(d->insert_doc, 3, fp->minhash, sizeof fp->minhash, SQLITE_STATIC);
    sqlite3_bind_text(d->insert_doc, 4, source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(d->insert_doc, 5, (sqlite3_int64)time(NULL));
    code = step_done(d, d->insert_doc, err, "recording a document");
    for (int band = 0; code == CR_OK && band < PP_LSH_BANDS; band++) {
        sqlite3_bind_int(d->insert_band, 1, band);
        sqlite3_bind_int64(d->insert_band, 2, band_key(fp->minhash, band));
        sqlite3_bind_text(d->insert_band, 3, id, -1, SQLITE_STATIC);
        code = step_done(d, d->insert_band, err, "recording a document");
    }
    return code;
}

int pp_dedup_check_and_add(pp_dedup *d, const char *id, const char *source,
                           const pp_fingerprint *fp, double near_threshold, int *verdict,
                           char duplicate_of[CR_ID_SIZE], double *similarity, cr_err *err)
{
    *verdict = PP_UNIQUE;
    duplicate_of[0] = '\0';
    *similarity = 0;
    pthread_mutex_lock(&d->lock);
    int code = cr_db_exec(d->db, "BEGIN IMMEDIATE", err);
    if (code == CR_OK) {
        code = check_and_add_locked(d, id, source, fp, near_threshold, verdict, duplicate_of,
                                    similarity, err);
        if (code == CR_OK)
            code = cr_db_exec(d->db, "COMMIT", err);
        if (code != CR_OK)
            sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&d->lock);
    return code;
}

int pp_dedup_forget(pp_dedup *d, const char *id, cr_err *err)
{
    pthread_mutex_lock(&d->lock);
    int code = cr_db_exec(d->db, "BEGIN IMMEDIATE", err);
    if (code == CR_OK) {
        sqlite3_bind_text(d->delete_bands, 1, id, -1, SQLITE_STATIC);
        code = step_done(d, d->delete_bands, err, "forgetting a document");
        if (code == CR_OK) {
            sqlite3_bind_text(d->delete_doc, 1, id, -1, SQLITE_STATIC);
            code = step_done(d, d->delete_doc, err, "forgetting a document");
        }
        code = code == CR_OK ? cr_db_exec(d->db, "COMMIT", err) : code;
        if (code != CR_OK)
            sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
    }
    pthread_mutex_unlock(&d->lock);
    return code;
}
