/* hash.h — SHA-256 (libcrypto) for content hashes and for file names derived from hashes.
 * Ids are the first 16 bytes of the SHA-256 of a key (a URL, a path), as 32 lowercase hex
 * digits: safe in any file system, never built from the key's own text. And cr_mix64, the one
 * fast non-cryptographic mixer, for hash tables and sketches (never for ids). */
#ifndef CR_HASH_H
#define CR_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define CR_SHA256_HEX_SIZE 65 /* 64 digits and the NUL */
#define CR_ID_SIZE 33         /* 32 digits and the NUL */

typedef struct cr_sha256 {
    void *ctx; /* EVP_MD_CTX */
} cr_sha256;

int cr_sha256_begin(cr_sha256 *h, cr_err *err);
void cr_sha256_update(cr_sha256 *h, const void *bytes, size_t len);
/* Writes 32 bytes to digest and frees the context. */
void cr_sha256_end(cr_sha256 *h, uint8_t digest[32]);

void cr_sha256_bytes(const void *bytes, size_t len, uint8_t digest[32]);
void cr_sha256_hex(const void *bytes, size_t len, char hex[CR_SHA256_HEX_SIZE]);
int cr_sha256_file_hex(const char *path, char hex[CR_SHA256_HEX_SIZE], cr_err *err);
void cr_hex_encode(const uint8_t *bytes, size_t len, char *hex);
/* The id of a key: a safe file name ("3f2a..."), derived by hashing. */
void cr_id_from_key(const char *key, char id[CR_ID_SIZE]);

/* MurmurHash3's 64-bit finaliser: every input bit flips each output bit with probability
 * about 1/2. Inline: it sits in the inner loops of BPE training and near-duplicate search. */
static inline uint64_t cr_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    x *= 0xC4CEB9FE1A85EC53ULL;
    x ^= x >> 33;
    return x;
}

#endif
