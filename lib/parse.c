/* parse.c — see parse.h. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cr_parse_long(const char *text, long min, long max, long *value, cr_err *err)
{
    if (!text || !*text || isspace((unsigned char)*text))
        return cr_fail(err, CR_EUSAGE, "'%s' is not a number", text ? text : "");
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (*end != '\0')
        return cr_fail(err, CR_EUSAGE, "'%s' is not a whole number", text);
    if (errno == ERANGE || v < min || v > max)
        return cr_fail(err, CR_EUSAGE, "%s is out of range (%ld..%ld)", text, min, max);
    *value = v;
    return CR_OK;
}

int cr_parse_double(const char *text, double min, double max, double *value, cr_err *err)
{
    if (!text || !*text || isspace((unsigned char)*text))
        return cr_fail(err, CR_EUSAGE, "'%s' is not a number", text ? text : "");
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (*end != '\0' || !isfinite(v))
        return cr_fail(err, CR_EUSAGE, "'%s' is not a number", text);
    if (v < min || v > max)
        return cr_fail(err, CR_EUSAGE, "%s is out of range (%g..%g)", text, min, max);
    *value = v;
    return CR_OK;
}

/* Reads an unsigned decimal ("12", "1.5") at *p, advancing it. */
static int read_number(const char **p, double *value)
{
    const char *s = *p;
    if (!isdigit((unsigned char)*s) && !(*s == '.' && isdigit((unsigned char)s[1])))
        return -1;
    char *end;
    *value = strtod(s, &end);
    if (end == s)
        return -1;
    *p = end;
    return 0;
}

int cr_parse_duration_ms(const char *text, int64_t *ms, cr_err *err)
{
    static const struct {
        const char *unit;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    if (!text || !*text)
        return cr_fail(err, CR_EUSAGE, "empty duration");
    const char *p = text;
    double total = 0;
    int parts = 0;
    while (*p) {
        double number;
        if (read_number(&p, &number) < 0)
            return cr_fail(err, CR_EUSAGE,
                           "'%s' is not a duration (examples: 250ms, 2s, 1m30s, 1h)", text);
        const char *unit_start = p;
        while (isalpha((unsigned char)*p))
            p++;
        size_t unit_len = (size_t)(p - unit_start);
        if (unit_len == 0) {
            if (parts > 0 || *p)
                return cr_fail(err, CR_EUSAGE, "'%s': a number without a unit", text);
            total += number * 1000; /* bare number: seconds */
            parts++;
            break;
        }
        int found = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
            if (strlen(units[i].unit) == unit_len &&
                !strncmp(unit_start, units[i].unit, unit_len)) {
                total += number * units[i].ms;
                found = 1;
            }
        }
        if (!found)
            return cr_fail(err, CR_EUSAGE, "'%s': unknown unit '%.*s' (ms, s, m, h, d)", text,
                           (int)unit_len, unit_start);
        parts++;
    }
    if (total > 9.0e15)
        return cr_fail(err, CR_EUSAGE, "'%s' is too long a duration", text);
    *ms = (int64_t)llround(total);
    return CR_OK;
}

int cr_parse_size(const char *text, uint64_t *bytes, cr_err *err)
{
    static const struct {
        const char *unit;
        double factor;
    } units[] = {{"", 1},
                 {"B", 1},
                 {"K", 1024.0},
                 {"KB", 1e3},
                 {"KiB", 1024.0},
                 {"M", 1048576.0},
                 {"MB", 1e6},
                 {"MiB", 1048576.0},
                 {"G", 1073741824.0},
                 {"GB", 1e9},
                 {"GiB", 1073741824.0},
                 {"T", 1099511627776.0},
                 {"TB", 1e12},
                 {"TiB", 1099511627776.0},
                 {"k", 1024.0},
                 {"kB", 1e3}};
    if (!text || !*text)
        return cr_fail(err, CR_EUSAGE, "empty size");
    const char *p = text;
    double number;
    if (read_number(&p, &number) < 0)
        return cr_fail(err, CR_EUSAGE, "'%s' is not a size (examples: 512, 64KiB, 10MiB, 2GB)",
                       text);
    while (*p == ' ')
        p++;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (!strcmp(p, units[i].unit)) {
            double value = number * units[i].factor;
            if (value > 1.8e19)
                return cr_fail(err, CR_EUSAGE, "'%s' is too large a size", text);
            *bytes = (uint64_t)llround(value);
            return CR_OK;
        }
    }
    return cr_fail(err, CR_EUSAGE, "'%s': unknown size unit '%s' (B, KB, KiB, MB, MiB, GB, GiB)",
                   text, p);
}

void cr_format_duration(int64_t ms, char *out, int out_size)
{
    if (ms < 1000)
        snprintf(out, out_size, "%lldms", (long long)ms);
    else if (ms < 60000)
        snprintf(out, out_size, "%.3gs", ms / 1000.0);
    else if (ms < 3600000)
        snprintf(out, out_size, "%lldm%02llds", (long long)(ms / 60000),
                 (long long)((ms / 1000) % 60));
    else
        snprintf(out, out_size, "%lldh%02lldm", (long long)(ms / 3600000),
                 (long long)((ms / 60000) % 60));
}

void cr_format_size(uint64_t bytes, char *out, int out_size)
{
    static const char *names[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = (double)bytes;
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        unit++;
    }
    if (unit == 0)
        snprintf(out, out_size, "%llu B", (unsigned long long)bytes);
    else
        snprintf(out, out_size, "%.1f %s", value, names[unit]);
}
