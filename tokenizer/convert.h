/* convert.h — other tokenizers' files in and out: tiktoken ranks, GPT-2's encoder.json +
 * vocab.bpe, Hugging Face's tokenizer.json; and the `info` summary. The crystalline file
 * itself is read and written by vocab.c. */
#ifndef TOK_CONVERT_H
#define TOK_CONVERT_H

#include "buf.h"
#include "status.h"
#include "vocab.h"

/* specials are "NAME=ID". */
int tok_import_tiktoken(tok_vocab *v, const char *path, const char *pattern,
                        const char *const *specials, int special_count, cr_err *err);
/* pattern NULL: GPT-2's. */
int tok_import_gpt2(tok_vocab *v, const char *encoder_json, const char *vocab_bpe,
                    const char *pattern, cr_err *err);
int tok_export_tiktoken(const tok_vocab *v, const char *path, cr_err *err);
int tok_export_hf(const tok_vocab *v, const char *path, cr_err *err);

/* GPT-2's printable stand-in for a byte (the code point written in encoder.json). */
uint32_t tok_gpt2_byte_char(uint8_t byte);

void tok_info(const tok_vocab *v, const char *path, int json, cr_buf *out);

#endif
