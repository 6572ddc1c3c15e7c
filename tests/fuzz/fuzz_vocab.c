/* fuzz_vocab.c — a tokenizer file (docs/tokenizer.md) through its one reader (lib/vocab.c,
 * used by the tokenizer and the trainer's generate). A file that loads must then encode and
 * decode a text back to its bytes with its built-in pattern (lib/bpe.c); custom regexes are
 * loaded but not run, so a pathological regex is not mistaken for a parser hang. */
#include "bpe.h"
#include "fuzz.h"
#include "pretok.h"
#include "vocab.h"

static const char sample[] = "Hello, world! It's 2024: naïve café — 東京 123456 \n\n  tabs\tand "
                             "<|endoftext|> ok";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    fuzz_write_file("tokenizer.tok", data, size, path, sizeof path);
    tok_vocab v;
    cr_err err = {0};
    if (tok_vocab_load(&v, path, &err) != CR_OK) {
        if (!err.msg[0])
            abort();
        return 0;
    }
    for (uint32_t id = 0; id < v.vocab_size; id++) {
        size_t len;
        const uint8_t *bytes = tok_vocab_bytes(&v, id, &len);
        if (bytes && tok_vocab_kind(&v, id) == TOK_ORDINARY && tok_vocab_find(&v, bytes, len) != id)
            abort(); /* an ordinary token's bytes lead back to it */
    }
    tok_pretok pretok;
    if (strcmp(v.pattern_name, "custom") != 0 &&
        tok_pretok_compile(&pretok, v.pattern, &err) == 0) {
        tok_encoder encoder;
        if (tok_encoder_init(&encoder, &v, &pretok, &err) == 0) {
            tok_ids ids = {0};
            if (tok_encode(&encoder, (const uint8_t *)sample, sizeof sample - 1, &ids, &err) == 0) {
                size_t at = 0;
                for (size_t i = 0; i < ids.count; i++) {
                    size_t len;
                    const uint8_t *bytes = tok_vocab_bytes(&v, ids.ids[i], &len);
                    if (!bytes || tok_vocab_kind(&v, ids.ids[i]) != TOK_ORDINARY ||
                        at + len > sizeof sample - 1 || memcmp(sample + at, bytes, len) != 0)
                        abort(); /* encoding is lossless */
                    at += len;
                }
                if (at != sizeof sample - 1)
                    abort();
            }
            tok_ids_free(&ids);
            tok_encoder_free(&encoder);
        }
        tok_pretok_free(&pretok);
    }
    tok_vocab_free(&v);
    return 0;
}
