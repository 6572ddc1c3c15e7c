/* hash.c — SHA-256 through OpenSSL's EVP interface (see hash.h). */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

int cr_sha256_begin(cr_sha256 *h, cr_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        h->ctx = NULL;
        return cr_fail(err, CR_EOTHER, "sha256: cannot initialise libcrypto");
    }
    h->ctx = ctx;
    return CR_OK;
}

void cr_sha256_update(cr_sha256 *h, const void *bytes, size_t len)
{
    EVP_DigestUpdate(h->ctx, bytes, len);
}

void cr_sha256_end(cr_sha256 *h, uint8_t digest[32])
{
    unsigned int out_len = 32;
    EVP_DigestFinal_ex(h->ctx, digest, &out_len);
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

void cr_sha256_bytes(const void *bytes, size_t len, uint8_t digest[32])
{
    unsigned int out_len = 32;
    EVP_Digest(bytes, len, digest, &out_len, EVP_sha256(), NULL);
}

void cr_hex_encode(const uint8_t *bytes, size_t len, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * len] = '\0';
}

void cr_sha256_hex(const void *bytes, size_t len, char hex[CR_SHA256_HEX_SIZE])
{
    uint8_t digest[32];
    cr_sha256_bytes(bytes, len, digest);
    cr_hex_encode(digest, 32, hex);
}

int cr_sha256_file_hex(const char *path, char hex[CR_SHA256_HEX_SIZE], cr_err *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cr_fail_errno(err, cr_exit_for_errno(errno), "opening %s", path);
    cr_sha256 h;
    int code = cr_sha256_begin(&h, err);
    if (code) {
        close(fd);
        return code;
    }
    char chunk[1 << 16];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            code = cr_fail_errno(err, CR_EIO, "reading %s", path);
            break;
        }
        if (n == 0)
            break;
        cr_sha256_update(&h, chunk, (size_t)n);
    }
    close(fd);
    uint8_t digest[32];
    cr_sha256_end(&h, digest);
    if (code == CR_OK)
        cr_hex_encode(digest, 32, hex);
    return code;
}

void cr_id_from_key(const char *key, char id[CR_ID_SIZE])
{
    uint8_t digest[32];
    cr_sha256_bytes(key, strlen(key), digest);
    cr_hex_encode(digest, 16, id);
}
