/* vocab_file.h — the little of the tokenizer file (docs/tokenizer.md, written by the tokenizer
 * program) the trainer needs: its vocabulary size, and each id's bytes to print generated text.
 * Read-only and independent of tokenizer/ (programs do not include each other); encoding text
 * is the tokenizer's job. */
#ifndef TRAINER_VOCAB_FILE_H
#define TRAINER_VOCAB_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "status.h"

typedef struct vocab_file {
    uint32_t vocab_size;
    uint32_t eot_id; /* UINT32_MAX when none */
    uint8_t **bytes; /* per id (NULL: unused); specials hold their name */
    uint32_t *length;
} vocab_file;

/* Reads the header only when table is 0. CR_ENOINPUT missing, CR_EDATA malformed. */
int vocab_file_read(vocab_file *v, const char *path, int table, cr_err *err);
void vocab_file_free(vocab_file *v);

#endif
