/* fuzz_gpt2.c — GPT-2's encoder.json and vocab.bpe through the importer (tokenizer/convert.c,
 * tok_import_gpt2, json-c for the JSON). Input: encoder.json, a NUL byte, vocab.bpe. */
#include "convert.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *merges;
    size_t merges_size;
    char *encoder = fuzz_split(data, size, &merges, &merges_size);
    char encoder_path[4200], merges_path[4200];
    fuzz_write_file("encoder.json", encoder, strlen(encoder), encoder_path, sizeof encoder_path);
    fuzz_write_file("vocab.bpe", merges, merges_size, merges_path, sizeof merges_path);
    free(encoder);
    tok_vocab v;
    cr_err err = {0};
    if (tok_import_gpt2(&v, encoder_path, merges_path, NULL, &err) == CR_OK) {
        if (tok_vocab_check(&v, &err) != CR_OK)
            abort();
        tok_vocab_free(&v);
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
