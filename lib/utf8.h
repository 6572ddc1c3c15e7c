/* utf8.h — the one UTF-8 validator: what a valid sequence is (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). Used by the JSON writer (json.c), preprocess's repair
 * of decoded text (text.c) and the tokenizer's exports (convert.c). It does not decode to
 * code points nor normalise: preprocess does NFC with utf8proc. */
#ifndef CR_UTF8_H
#define CR_UTF8_H

#include <stddef.h>

/* Length of the valid UTF-8 sequence that starts at p (1..4 bytes, `left` of them readable),
 * or 0 when it is not valid. */
size_t cr_utf8_sequence(const unsigned char *p, size_t left);
/* 1 when the len bytes at s are valid UTF-8 throughout. */
int cr_utf8_valid(const char *s, size_t len);

#endif
