/* filters.c — measuring a clean document and checking it against the quality rules
 * (Gopher's rules from Rae et al. 2021 and C4's spirit; the defaults are Gopher's where it
 * has one). Words are split on whitespace; each CJK character counts as a word, because those
 * scripts do not put spaces between words. It does not deduplicate (dedup.c). */
#include "filters.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const pp_filter_def pp_filter_defs[PP_F_COUNT] = {
    [PP_F_MIN_WORDS] = {"min_words", 50, 0, 1, "at least this many words"},
    [PP_F_MIN_MEAN_WORD_LENGTH] = {"min_mean_word_length", 3, 0, 1,
                                   "mean word length (characters) at least this"},
    [PP_F_MAX_MEAN_WORD_LENGTH] = {"max_mean_word_length", 10, 0, 0,
                                   "mean word length at most this"},
    [PP_F_MAX_SYMBOL_RATIO] = {"max_symbol_ratio", 0.1, 0, 0,
                               "'#' or ellipses per word at most this"},
    [PP_F_MAX_ELLIPSIS_LINES] = {"max_ellipsis_lines", 0.3, 0, 0,
                                 "share of lines ending in an ellipsis at most this"},
    [PP_F_MAX_BULLET_LINES] = {"max_bullet_lines", 0.9, 0, 0,
                               "share of lines starting with a bullet at most this"},
    [PP_F_MAX_DUPLICATE_LINES] = {"max_duplicate_lines", 0.3, 0, 0,
                                  "share of lines repeating an earlier line at most this"},
    [PP_F_CODE_MAX_LINE_LENGTH] =
        {"code_max_line_length", 1000, 1, 0,
         "source: longest line (characters) at most this (minified, generated)"},
    [PP_F_CODE_MIN_ALPHA] =
        {"code_min_alpha", 0.25, 1, 1,
         "source: share of letters among non-blank characters at least this (data blobs)"},
};

void pp_filters_default(pp_filters *f)
{
    for (int i = 0; i < PP_F_COUNT; i++) {
        f->enabled[i] = 1;
        f->limit[i] = pp_filter_defs[i].default_limit;
    }
}

void pp_filters_none(pp_filters *f)
{
    pp_filters_default(f);
    for (int i = 0; i < PP_F_COUNT; i++)
        f->enabled[i] = 0;
}

int pp_filters_load(pp_filters *f, const char *path, cr_err *err)
{
    pp_filters_default(f);
    /* O_NONBLOCK: a FIFO is refused below, not waited on; a folder would read as empty. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return cr_fail_errno(err, errno == ENOENT ? CR_ENOINPUT : CR_EIO, "reading filters %s",
                             path);
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return cr_fail(err, CR_EUSAGE, "reading filters %s: not a regular file", path);
    }
    FILE *file = fdopen(fd, "r");
    if (!file) {
        close(fd);
        return cr_fail_errno(err, CR_EOTHER, "reading filters %s", path);
    }
    char line[512];
    int line_number = 0, code = CR_OK;
    while (code == CR_OK && fgets(line, sizeof line, file)) {
        line_number++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        for (char *p = line; *p; p++)
            if (*p == '=' || *p == ':')
                *p = ' ';
        char name[64], value[64], extra[8];
        int fields = sscanf(line, "%63s %63s %7s", name, value, extra);
        if (fields <= 0)
            continue;
        if (fields != 2) {
            code = cr_fail(err, CR_EUSAGE, "filters %s:%d: expected \"name value\" or \"name off\"",
                           path, line_number);
            break;
        }
        int id = -1;
        for (int i = 0; i < PP_F_COUNT; i++)
            if (strcmp(name, pp_filter_defs[i].name) == 0)
                id = i;
        if (id < 0) {
            code = cr_fail(err, CR_EUSAGE, "filters %s:%d: unknown filter \"%s\"", path,
                           line_number, name);
            break;
        }
        if (strcasecmp(value, "off") == 0) {
            f->enabled[id] = 0;
            continue;
        }
        char *end;
        errno = 0;
        double limit = strtod(value, &end);
        if (errno || *end || end == value || !isfinite(limit) || limit < 0) {
            code = cr_fail(err, CR_EUSAGE, "filters %s:%d: bad value \"%s\" for %s", path,
                           line_number, value, name);
            break;
        }
        f->enabled[id] = 1;
        f->limit[id] = limit;
    }
    if (!code && ferror(file))
        code = cr_fail_errno(err, CR_EIO, "reading filters %s", path);
    fclose(file);
    return code;
}

/* The code point at p (valid UTF-8) and its length. */
static unsigned decode(const unsigned char *p, size_t left, size_t *n)
{
    if (p[0] < 0x80 || left < 2) {
        *n = 1;
        return p[0];
    }
    if (p[0] < 0xE0) {
        *n = 2;
        return (p[0] & 0x1Fu) << 6 | (p[1] & 0x3Fu);
    }
    if (p[0] < 0xF0 || left < 4) {
        *n = left < 3 ? left : 3;
        return left < 3 ? 0xFFFD : (p[0] & 0x0Fu) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
    }
    *n = 4;
    return (p[0] & 0x07u) << 18 | (p[1] & 0x3Fu) << 12 | (p[2] & 0x3Fu) << 6 | (p[3] & 0x3Fu);
}

static int is_cjk(unsigned cp)
{
    return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
           (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

static int is_space_cp(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == 0x3000;
}

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h | 1; /* 0 marks an empty slot */
}

static int starts_with_bullet(const char *line, size_t len)
{
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t'))
        i++;
    if (i + 1 < len && (line[i] == '-' || line[i] == '*' || line[i] == '+') && line[i + 1] == ' ')
        return 1;
    static const char *const bullets[] = {"\u2022", "\u2023", "\u25E6",  "\u00B7", "\u25CF",
                                          "\u25AA", "\u2043", "\u2013 ", NULL};
    for (const char *const *b = bullets; *b; b++) {
        size_t n = strlen(*b);
        if (len - i >= n && memcmp(line + i, *b, n) == 0)
            return 1;
    }
    return 0;
}

static int ends_with_ellipsis(const char *line, size_t len)
{
    while (len && (line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    return (len >= 3 && memcmp(line + len - 3, "...", 3) == 0) ||
           (len >= 3 && memcmp(line + len - 3, "\u2026", 3) == 0);
}

void pp_measure(const char *text, size_t len, int is_code, pp_measures *m)
{
    memset(m, 0, sizeof *m);
    const unsigned char *p = (const unsigned char *)text;
    size_t words = 0, latin_words = 0, latin_chars = 0, hashes = 0, ellipses = 0;
    size_t letters = 0, non_blank = 0, longest = 0, line_chars = 0;
    size_t word_chars = 0, word_cjk = 0;
    for (size_t i = 0; i <= len;) {
        size_t n = 1;
        unsigned cp = i < len ? decode(p + i, len - i, &n) : ' ';
        if (i < len && cp == '\n') {
            if (line_chars > longest)
                longest = line_chars;
            line_chars = 0;
        } else if (i < len) {
            line_chars++;
        }
        if (is_space_cp(cp)) {
            if (word_chars) {
                if (word_cjk) {
                    words += word_cjk + (word_chars > word_cjk ? 1 : 0);
                } else {
                    words++;
                    latin_words++;
                    latin_chars += word_chars;
                }
            }
            word_chars = word_cjk = 0;
        } else {
            word_chars++;
            non_blank++;
            if (is_cjk(cp))
                word_cjk++;
            if (cp >= 0x80 ? cp != 0xFFFD : isalpha((int)cp))
                letters++;
            if (cp == '#')
                hashes++;
            if (cp == 0x2026)
                ellipses++;
            if (cp == '.' && i + 2 < len && p[i + 1] == '.' && p[i + 2] == '.') {
                ellipses++;
                n = 3;
                word_chars += 2;
                non_blank += 2;
            }
        }
        i += n;
        if (i > len)
            break;
    }
    if (line_chars > longest)
        longest = line_chars;

    /* line statistics: bullets, ellipses, duplicates (lines with a letter, by hash) */
    size_t lines = 0, bullet_lines = 0, ellipsis_lines = 0, duplicate_lines = 0;
    size_t slots = 64;
    for (size_t i = 0; i < len; i++)
        if (text[i] == '\n')
            slots++;
    slots *= 2;
    uint64_t *seen = calloc(slots, sizeof *seen);
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t line_len = nl ? (size_t)(nl - (text + pos)) : len - pos;
        const char *line = text + pos;
        pos += line_len + 1;
        size_t k = 0;
        while (k < line_len && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == line_len)
            continue;
        lines++;
        bullet_lines += starts_with_bullet(line, line_len);
        ellipsis_lines += ends_with_ellipsis(line, line_len);
        int has_letter = 0;
        for (size_t j = 0; j < line_len && !has_letter; j++)
            has_letter = isalpha((unsigned char)line[j]) || (unsigned char)line[j] >= 0x80;
        if (has_letter && seen) {
            uint64_t h = fnv1a(line + k, line_len - k);
            size_t slot = (size_t)(h % slots);
            while (seen[slot] && seen[slot] != h)
                slot = (slot + 1) % slots;
            if (seen[slot])
                duplicate_lines++;
            else
                seen[slot] = h;
        }
    }
    free(seen);

    m->words = words;
    m->lines = lines;
    m->value[PP_F_MIN_WORDS] = (double)words;
    m->measured[PP_F_MIN_WORDS] = 1;
    if (latin_words) {
        double mean = (double)latin_chars / (double)latin_words;
        m->value[PP_F_MIN_MEAN_WORD_LENGTH] = m->value[PP_F_MAX_MEAN_WORD_LENGTH] = mean;
        /* mostly-CJK text: the mean length of its few Latin words says nothing */
        m->measured[PP_F_MIN_MEAN_WORD_LENGTH] = m->measured[PP_F_MAX_MEAN_WORD_LENGTH] =
            latin_words * 2 >= words;
    }
    if (words) {
        double h = (double)hashes / (double)words, e = (double)ellipses / (double)words;
        m->value[PP_F_MAX_SYMBOL_RATIO] = h > e ? h : e;
        m->measured[PP_F_MAX_SYMBOL_RATIO] = 1;
    }
    if (lines) {
        m->value[PP_F_MAX_ELLIPSIS_LINES] = (double)ellipsis_lines / (double)lines;
        m->value[PP_F_MAX_BULLET_LINES] = (double)bullet_lines / (double)lines;
        m->value[PP_F_MAX_DUPLICATE_LINES] = (double)duplicate_lines / (double)lines;
        m->measured[PP_F_MAX_ELLIPSIS_LINES] = m->measured[PP_F_MAX_BULLET_LINES] =
            m->measured[PP_F_MAX_DUPLICATE_LINES] = 1;
    }
    m->value[PP_F_CODE_MAX_LINE_LENGTH] = (double)longest;
    m->measured[PP_F_CODE_MAX_LINE_LENGTH] = 1;
    if (non_blank) {
        m->value[PP_F_CODE_MIN_ALPHA] = (double)letters / (double)non_blank;
        m->measured[PP_F_CODE_MIN_ALPHA] = 1;
    }
    (void)is_code;
}

int pp_filters_check(const pp_filters *f, const pp_measures *m, int is_code)
{
    for (int i = 0; i < PP_F_COUNT; i++) {
        if (!f->enabled[i] || !m->measured[i] || pp_filter_defs[i].for_code != is_code)
            continue;
        double v = m->value[i], limit = f->limit[i];
        int passes = pp_filter_defs[i].is_minimum ? v >= limit : v <= limit;
        if (!passes)
            return i;
    }
    return -1;
}
