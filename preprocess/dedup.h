/* dedup.h — exact and near-duplicate detection across runs, in a persistent SQLite index (WAL,
 * safe for several preprocess processes at once). Exact: SHA-256 of the text with case and
 * whitespace folded. Near: MinHash (128 hashes) over word 5-gram shingles, LSH with 16 bands of
 * 8 rows, then the estimated Jaccard similarity checked against the threshold. */
#ifndef PP_DEDUP_H
#define PP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"
#include "status.h"

#define PP_MINHASH_SIZE 128
#define PP_LSH_BANDS 16
#define PP_LSH_ROWS 8 /* PP_LSH_BANDS * PP_LSH_ROWS == PP_MINHASH_SIZE */
#define PP_SHINGLE_WORDS 5

typedef struct pp_fingerprint {
    uint8_t exact[32];
    uint32_t minhash[PP_MINHASH_SIZE];
} pp_fingerprint;

/* Fingerprints clean text (UTF-8). Words are runs of letters and digits (ASCII folded to lower
 * case); each CJK character is a word of its own. */
void pp_fingerprint_text(const char *text, size_t len, pp_fingerprint *fp);
/* The 128 minima of h_k over 32-bit shingle hashes (all UINT32_MAX when count is 0):
 * pp_minhash picks the AVX2 kernel at run time when the CPU has it, else the scalar twin;
 * both give identical results (tests/preprocess/test_dedup.c). */
void pp_minhash(const uint32_t *shingles, size_t count, uint32_t mins[PP_MINHASH_SIZE]);
void pp_minhash_scalar(const uint32_t *shingles, size_t count, uint32_t mins[PP_MINHASH_SIZE]);
void pp_minhash_avx2(const uint32_t *shingles, size_t count, uint32_t mins[PP_MINHASH_SIZE]);

/* The share of equal MinHash values: an estimate of the Jaccard similarity of the shingles. */
double pp_minhash_similarity(const uint32_t *a, const uint32_t *b);

typedef struct pp_dedup pp_dedup;

/* Opens or creates the index. CR_EIO when it cannot be opened or is not an index of ours. */
int pp_dedup_open(pp_dedup **dedup, const char *path, cr_err *err);
void pp_dedup_close(pp_dedup *dedup);

enum pp_dedup_verdict { PP_UNIQUE = 0, PP_EXACT_DUPLICATE, PP_NEAR_DUPLICATE };

/* In one transaction: looks for an earlier document (other than id itself, so reprocessing an
 * input is not a duplicate of its own last run) with the same text, then (near_threshold > 0)
 * one whose estimated similarity is >= near_threshold; when there is none, records id.
 * *verdict says which; duplicate_of and *similarity name the match. Thread-safe.
 * CR_ETEMP when another process holds the index for too long; CR_EIO on a write failure. */
int pp_dedup_check_and_add(pp_dedup *dedup, const char *id, const char *source,
                           const pp_fingerprint *fp, double near_threshold, int *verdict,
                           char duplicate_of[CR_ID_SIZE], double *similarity, cr_err *err);
/* Removes id (its outputs could not be written). */
int pp_dedup_forget(pp_dedup *dedup, const char *id, cr_err *err);

#endif
