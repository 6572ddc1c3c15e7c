/* yaml_guard.c — see yaml_guard.h. One pass of libyaml's event parser that stops at the first
 * limit crossed, so a hostile file costs as much as its first YAML_MAX_DEPTH levels; config.c
 * then loads the document (its own errors are positioned by the nodes' marks). */
#include "yaml_guard.h"

#include <string.h>
#include <yaml.h>

/* line:column (1-based, columns in characters) of a byte offset into text. */
static void offset_position(const char *text, size_t len, size_t offset, unsigned long *line,
                            unsigned long *column)
{
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n') {
            (*line)++;
            *column = 1;
        } else if ((c & 0xC0) != 0x80) { /* not a UTF-8 continuation byte */
            (*column)++;
        }
    }
}

static int parse_error(const yaml_parser_t *parser, const char *path, const char *text, size_t len,
                       cr_err *err)
{
    unsigned long line, column;
    if (parser->error == YAML_READER_ERROR) {
        /* the reader knows the byte offset only (its mark is never set) */
        offset_position(text, len, parser->problem_offset, &line, &column);
        if (parser->problem_value >= 0)
            return cr_fail(err, CR_EDATA, "%s:%lu:%lu: %s (byte 0x%02X)", path, line, column,
                           parser->problem ? parser->problem : "unreadable text",
                           (unsigned)parser->problem_value & 0xFF);
        return cr_fail(err, CR_EDATA, "%s:%lu:%lu: %s", path, line, column,
                       parser->problem ? parser->problem : "unreadable text");
    }
    line = (unsigned long)parser->problem_mark.line + 1;
    column = (unsigned long)parser->problem_mark.column + 1;
    return cr_fail(err, CR_EDATA, "%s:%lu:%lu: %s%s%s", path, line, column,
                   parser->problem ? parser->problem : "bad YAML", parser->context ? " " : "",
                   parser->context ? parser->context : "");
}

int yaml_guard_check(const char *path, const char *text, size_t len, cr_err *err)
{
    if (len > YAML_MAX_BYTES)
        return cr_fail(err, CR_EDATA, "%s:1:1: %zu bytes is too large for a pipeline (at most %d)",
                       path, len, YAML_MAX_BYTES);
    const char *nul = memchr(text, 0, len);
    if (nul) {
        unsigned long line, column;
        offset_position(text, len, (size_t)(nul - text), &line, &column);
        return cr_fail(err, CR_EDATA, "%s:%lu:%lu: a NUL byte (the file is not text)", path, line,
                       column);
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser))
        return cr_fail(err, CR_EOTHER, "libyaml: cannot initialise the parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    int code = CR_OK, depth = 0, documents = 0;
    long events = 0;
    for (int done = 0; !done && !code;) {
        yaml_event_t event;
        if (!yaml_parser_parse(&parser, &event)) {
            code = parse_error(&parser, path, text, len, err);
            break;
        }
        unsigned long line = (unsigned long)event.start_mark.line + 1;
        unsigned long column = (unsigned long)event.start_mark.column + 1;
        switch (event.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > YAML_MAX_DEPTH)
                code = cr_fail(err, CR_EDATA,
                               "%s:%lu:%lu: nested deeper than %d levels (a pipeline needs 5)",
                               path, line, column, YAML_MAX_DEPTH);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_DOCUMENT_START_EVENT:
            if (++documents > 1) /* libyaml's loader would read the first one only */
                code = cr_fail(err, CR_EDATA,
                               "%s:%lu:%lu: a second YAML document ('---'): a pipeline is one",
                               path, line, column);
            break;
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        default:
            break;
        }
        if (!code && ++events > YAML_MAX_EVENTS)
            code = cr_fail(err, CR_EDATA, "%s:%lu:%lu: more than %d keys and values", path, line,
                           column, YAML_MAX_EVENTS);
        yaml_event_delete(&event);
    }
    yaml_parser_delete(&parser);
    return code;
}
