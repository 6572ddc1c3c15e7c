/* json.h — writing JSON (meta files, --json reports, metrics lines) into a cr_buf.
 * A small writer that tracks commas; strings are escaped per RFC 8259, and bytes that are not
 * valid UTF-8 are written as U+FFFD so the output is always valid JSON. Reading JSON is done
 * with json-c where a program needs it; this file only writes. */
#ifndef CR_JSON_H
#define CR_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

typedef struct cr_json {
    cr_buf *out;
    int depth;
    unsigned char need_comma[32]; /* per nesting level */
} cr_json;

void cr_json_init(cr_json *j, cr_buf *out);
void cr_json_object_begin(cr_json *j);
void cr_json_object_end(cr_json *j);
void cr_json_array_begin(cr_json *j);
void cr_json_array_end(cr_json *j);
/* Inside an object, each value is preceded by its key. */
void cr_json_key(cr_json *j, const char *key);
void cr_json_string(cr_json *j, const char *s);
void cr_json_string_n(cr_json *j, const char *s, size_t len);
void cr_json_int(cr_json *j, int64_t v);
void cr_json_uint(cr_json *j, uint64_t v);
void cr_json_double(cr_json *j, double v); /* NaN and infinities become null */
void cr_json_bool(cr_json *j, int v);
void cr_json_null(cr_json *j);

/* Shorthands for "key": value inside an object. */
void cr_json_kv_string(cr_json *j, const char *key, const char *s);
void cr_json_kv_int(cr_json *j, const char *key, int64_t v);
void cr_json_kv_double(cr_json *j, const char *key, double v);
void cr_json_kv_bool(cr_json *j, const char *key, int v);

/* Appends s as a quoted, escaped JSON string. */
void cr_json_escape(cr_buf *out, const char *s, size_t len);

#endif
