/* fuzz_tiktoken.c — a tiktoken ranks file ("base64 rank" per line) through the importer
 * (tokenizer/convert.c, tok_import_tiktoken) with the gpt4 pattern and one special token, as
 * `tokenizer import --tiktoken` runs it. GPT-2's two files are fuzz_gpt2.c. */
#include "convert.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[4200];
    fuzz_write_file("ranks.tiktoken", data, size, path, sizeof path);
    static const char *const specials[] = {"<|endoftext|>=100257"};
    tok_vocab v;
    cr_err err = {0};
    if (tok_import_tiktoken(&v, path, "gpt4", specials, 1, &err) == CR_OK) {
        if (tok_vocab_check(&v, &err) != CR_OK)
            abort(); /* an import always holds the 256 bytes */
        tok_vocab_free(&v);
    } else if (!err.msg[0]) {
        abort();
    }
    return 0;
}
