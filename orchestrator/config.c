/* config.c — loads pipeline.yaml (libyaml's document API) into a pipeline_config.
 * Every key of SPEC.md's shape is known here; an unknown key, a wrong type or a bad value is
 * refused with "file:line:column: what is wrong", after a first pass that bounds what a
 * hostile file may cost (the guard below). It does not touch the file system beyond reading
 * the file (config_check does, for `validate`); the daemon that uses it is engine.c. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "fs.h"
#include "parse.h"

typedef struct loader {
    yaml_document_t *doc;
    const char *file;
    cr_err *err;
} loader;

static int fail_at(loader *l, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(loader *l, const yaml_node_t *node, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return cr_fail(l->err, CR_EDATA, "%s:%lu:%lu: %s", l->file,
                   node ? (unsigned long)node->start_mark.line + 1 : 1UL,
                   node ? (unsigned long)node->start_mark.column + 1 : 1UL, what);
}

static const char *node_kind(const yaml_node_t *node)
{
    switch (node->type) {
    case YAML_SCALAR_NODE:
        return "a single value";
    case YAML_SEQUENCE_NODE:
        return "a list";
    case YAML_MAPPING_NODE:
        return "a mapping";
    default:
        return "nothing";
    }
}

static yaml_node_t *get(loader *l, int index)
{
    return yaml_document_get_node(l->doc, index);
}

/* A scalar's text, or an error naming the key when the node is not a non-empty scalar. */
static int scalar(loader *l, yaml_node_t *node, const char *key, const char **text)
{
    if (node->type != YAML_SCALAR_NODE)
        return fail_at(l, node, "%s: expected a single value, found %s", key, node_kind(node));
    if (node->data.scalar.length == 0 && node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        return fail_at(l, node, "%s: missing value", key);
    if (strlen((const char *)node->data.scalar.value) != node->data.scalar.length)
        return fail_at(l, node, "%s: value contains a NUL byte", key);
    *text = (const char *)node->data.scalar.value;
    return CR_OK;
}

static int dup_scalar(loader *l, yaml_node_t *node, const char *key, char **out)
{
    const char *text;
    int code = scalar(l, node, key, &text);
    if (code)
        return code;
    free(*out);
    *out = strdup(text);
    return *out ? CR_OK : cr_fail(l->err, CR_EOTHER, "out of memory");
}

/* A list of strings (NULL-terminated); a single value is a list of one when allow_single. */
static int string_list(loader *l, yaml_node_t *node, const char *key, int allow_single, char ***out,
                       int *count)
{
    cr_free_list(*out, (size_t)*count);
    *out = NULL;
    *count = 0;
    int n = 1;
    if (node->type == YAML_SEQUENCE_NODE)
        n = (int)(node->data.sequence.items.top - node->data.sequence.items.start);
    else if (node->type != YAML_SCALAR_NODE || !allow_single)
        return fail_at(l, node, "%s: expected a list of strings, found %s", key, node_kind(node));
    if (n == 0)
        return fail_at(l, node, "%s: empty list", key);
    char **items = calloc((size_t)n + 1, sizeof *items);
    if (!items)
        return cr_fail(l->err, CR_EOTHER, "out of memory");
    *out = items;
    for (int i = 0; i < n; i++) {
        yaml_node_t *item =
            node->type == YAML_SEQUENCE_NODE ? get(l, node->data.sequence.items.start[i]) : node;
        int code = dup_scalar(l, item, key, &items[i]);
        if (code)
            return code;
        *count = i + 1;
    }
    return CR_OK;
}

/* One known key of a mapping: what its value is and where it goes. */
typedef enum field_kind {
    F_TEXT,
    F_LIST,        /* a list of strings */
    F_LIST_OR_ONE, /* the same, or a single value as a list of one */
    F_WHOLE,
    F_REAL,
    F_DURATION,
    F_BOOL,
    F_LOAD, /* through `load` */
    F_NODE, /* only kept in `node`, loaded later */
} field_kind;

typedef struct field {
    const char *key;
    field_kind kind;
    void *to;
    double min, max;                                      /* F_WHOLE, F_REAL */
    int *count;                                           /* F_LIST, F_LIST_OR_ONE */
    int (*load)(loader *l, yaml_node_t *value, void *to); /* F_LOAD */
    int (*valid)(const char *text); /* F_TEXT: refused "LABEL: 'TEXT' why" when 0 */
    const char *why;
    yaml_node_t **node; /* where the value's node is kept when given (or NULL) */
} field;

#define FIELDS(fields) fields, (int)(sizeof fields / sizeof fields[0])

static int load_field(loader *l, const field *f, const char *label, yaml_node_t *value)
{
    if (f->node)
        *f->node = value;
    const char *text;
    int code;
    switch (f->kind) {
    case F_TEXT:
        code = dup_scalar(l, value, label, f->to);
        if (!code && f->valid && !f->valid(*(char **)f->to))
            return fail_at(l, value, "%s: '%s' %s", label, *(char **)f->to, f->why);
        return code;
    case F_LIST:
    case F_LIST_OR_ONE:
        return string_list(l, value, label, f->kind == F_LIST_OR_ONE, f->to, f->count);
    case F_LOAD:
        return f->load(l, value, f->to);
    case F_NODE:
        return CR_OK;
    default: /* one value to parse */
        if ((code = scalar(l, value, label, &text)))
            return code;
    }
    cr_err why;
    long v;
    int bad = 0;
    if (f->kind == F_WHOLE && !(bad = cr_parse_long(text, (long)f->min, (long)f->max, &v, &why)))
        *(int *)f->to = (int)v;
    else if (f->kind == F_REAL)
        bad = cr_parse_double(text, f->min, f->max, f->to, &why);
    else if (f->kind == F_DURATION)
        bad = cr_parse_duration_ms(text, f->to, &why);
    else if (f->kind == F_BOOL && strcmp(text, "true") && strcmp(text, "false"))
        return fail_at(l, value, "%s: expected true or false, found '%s'", label, text);
    else if (f->kind == F_BOOL)
        *(int *)f->to = !strcmp(text, "true");
    return bad ? fail_at(l, value, "%s: %s", label, why.msg) : CR_OK;
}

/* Loads a mapping's pairs through their fields; refuses non-mappings, duplicate and unknown keys.
 * prefix names a key in messages ("retry." for retry.delay). */
static int each_pair(loader *l, yaml_node_t *node, const char *what, const char *prefix,
                     const field *fields, int n)
{
    if (node->type != YAML_MAPPING_NODE)
        return fail_at(l, node, "%s: expected a mapping (key: value), found %s", what,
                       node_kind(node));
    for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
         p++) {
        yaml_node_t *key_node = get(l, p->key);
        const char *key;
        int code = scalar(l, key_node, what, &key);
        if (code)
            return code;
        for (yaml_node_pair_t *q = node->data.mapping.pairs.start; q < p; q++) {
            yaml_node_t *other = get(l, q->key);
            if (other->type == YAML_SCALAR_NODE &&
                !strcmp((const char *)other->data.scalar.value, key))
                return fail_at(l, key_node, "%s: key '%s' given twice", what, key);
        }
        const field *f = fields;
        while (f < fields + n && strcmp(f->key, key))
            f++;
        if (f == fields + n) {
            char known[256] = "";
            for (int i = 0; i < n; i++)
                snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                         fields[i].key);
            return fail_at(l, key_node, "unknown key '%s' %s %s (known: %s)", key,
                           strcmp(what, "top level") ? "in" : "at", what, known);
        }
        char label[64];
        snprintf(label, sizeof label, "%s%s", prefix, key);
        code = load_field(l, f, label, get(l, p->value));
        if (code)
            return code;
    }
    return CR_OK;
}

/* ---- retry, notify ---- */

static void notify_free(notify_config *n)
{
    cr_free_list(n->on_failure, (size_t)n->on_failure_count);
    cr_free_list(n->on_success, (size_t)n->on_success_count);
    free(n->webhook);
    memset(n, 0, sizeof *n);
}

static int web_url(const char *text)
{
    return !strncmp(text, "http://", 7) || !strncmp(text, "https://", 8);
}

/* A notify mapping; a stage's replaces the defaults'. */
static int notify_load(loader *l, yaml_node_t *node, void *to)
{
    notify_config *n = to;
    notify_free(n);
    const field fields[] = {
        {"on_failure", F_LIST, .to = &n->on_failure, .count = &n->on_failure_count},
        {"on_success", F_LIST, .to = &n->on_success, .count = &n->on_success_count},
        {"webhook", F_TEXT, .to = &n->webhook, .valid = web_url,
         .why = "is not an http:// or https:// URL"},
    };
    return each_pair(l, node, "notify", "notify.", FIELDS(fields));
}

/* A copy of a list of strings (NULL-terminated); -1 when out of memory (what was copied is
 * freed with the list's owner). */
static int list_copy(char ***to, int *to_count, char *const *from, int count)
{
    if (!from)
        return 0;
    if (!(*to = calloc((size_t)count + 1, sizeof **to)))
        return -1;
    *to_count = count;
    for (int i = 0; i < count; i++)
        if (!((*to)[i] = strdup(from[i])))
            return -1;
    return 0;
}

static int notify_copy(notify_config *to, const notify_config *from)
{
    memset(to, 0, sizeof *to);
    if (list_copy(&to->on_failure, &to->on_failure_count, from->on_failure,
                  from->on_failure_count) ||
        list_copy(&to->on_success, &to->on_success_count, from->on_success, from->on_success_count))
        return -1;
    return from->webhook && !(to->webhook = strdup(from->webhook)) ? -1 : 0;
}

/* ---- defaults ---- */

typedef struct defaults {
    retry_policy retry;
    int64_t timeout_ms;
    int64_t grace_ms;
    int concurrency; /* 0: the global limit */
    notify_config notify;
} defaults;

/* A retry mapping over the policy it refines (a stage's over the defaults'): the delays must
 * still make sense together. */
static int retry_policy_load(loader *l, yaml_node_t *node, void *policy)
{
    retry_policy *r = policy;
    /* -1: not given in this mapping (durations are never negative) */
    retry_policy inherited = *r;
    r->delay_ms = r->max_delay_ms = -1;
    const field fields[] = {
        {"max_attempts", F_WHOLE, .to = &r->max_attempts, .min = 1, .max = 1000},
        {"delay", F_DURATION, .to = &r->delay_ms},
        {"backoff", F_REAL, .to = &r->backoff, .min = 1.0, .max = 100.0},
        {"max_delay", F_DURATION, .to = &r->max_delay_ms},
        {"jitter", F_REAL, .to = &r->jitter, .min = 0.0, .max = 1.0},
    };
    int code = each_pair(l, node, "retry", "retry.", FIELDS(fields));
    int both_given = r->delay_ms >= 0 && r->max_delay_ms >= 0;
    if (r->delay_ms < 0)
        r->delay_ms = inherited.delay_ms;
    if (r->max_delay_ms < 0)
        r->max_delay_ms = inherited.max_delay_ms;
    /* both in one mapping: a mistake to refuse; a stage's longer delay over the defaults'
     * max_delay raises its max_delay (load_stage) */
    if (!code && both_given && r->max_delay_ms < r->delay_ms) {
        char delay[32], max_delay[32];
        cr_format_duration(r->delay_ms, delay, sizeof delay);
        cr_format_duration(r->max_delay_ms, max_delay, sizeof max_delay);
        return fail_at(l, node, "retry: max_delay %s is below delay %s", max_delay, delay);
    }
    return code;
}

/* ---- stages ---- */

typedef struct stage_target {
    stage_config *stage;
    int64_t batch_settle_ms;
    /* the nodes of keys the stage's checks look at, NULL when not given */
    yaml_node_t *run_node, *batch_node, *settle_node, *batch_settle_node;
} stage_target;

static int batch_load(loader *l, yaml_node_t *node, void *target)
{
    stage_target *t = target;
    const field fields[] = {
        {"max_files", F_WHOLE, .to = &t->stage->batch_max_files, .min = 1, .max = 1000000},
        {"settle", F_DURATION, .to = &t->batch_settle_ms, .node = &t->batch_settle_node},
    };
    return each_pair(l, node, "batch", "batch.", FIELDS(fields));
}

static int valid_stage_name(const char *name)
{
    if (!*name || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0;
    return 1;
}

int path_stays_inside(const char *path)
{
    if (path[0] == '/')
        return 0;
    for (const char *p = path; *p;) {
        size_t len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return 0;
        p += len;
        p += *p == '/';
    }
    return 1;
}

/* Why a watch folder is refused, NULL when it is not. It must be a relative path that stays in
 * the workspace as written (where it leads through symlinks is judged when files are taken:
 * paths.c), and not .orchestrator/ or failed/ (or under them), which are the orchestrator's. */
static const char *watch_refused(const char *folder)
{
    while (!strncmp(folder, "./", 2))
        folder += 2;
    if (!path_stays_inside(folder))
        return "is not inside the workspace (a folder relative to it, without '..'): files there "
               "are not the pipeline's to move";
    static const char *const reserved[] = {".orchestrator", "failed"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        size_t len = strlen(reserved[i]);
        if (!strncmp(folder, reserved[i], len) && (folder[len] == 0 || folder[len] == '/'))
            return "is the orchestrator's own (its state folder or failed/): watching it would "
                   "take the record or loop on quarantined files";
    }
    return NULL;
}

static int watch_load(loader *l, yaml_node_t *value, void *to)
{
    stage_config *s = to;
    int code = string_list(l, value, "watch", 1, &s->watch, &s->watch_count);
    for (int w = 0; !code && w < s->watch_count; w++) {
        const char *why = watch_refused(s->watch[w]);
        if (why)
            code = fail_at(l, value, "watch: '%s' %s", s->watch[w], why);
    }
    return code;
}

/* Placeholders allowed inside a run's argv elements. */
static int check_placeholders(loader *l, yaml_node_t *run_node, stage_config *s)
{
    int ones = 0, manys = 0;
    for (int i = 0; i < s->argc; i++) {
        yaml_node_t *item = get(l, run_node->data.sequence.items.start[i]);
        const char *arg = s->argv[i];
        for (const char *p = strchr(arg, '{'); p; p = strchr(p + 1, '{')) {
            if (!strncmp(p, "{input}", 7))
                ones++;
            else if (!strncmp(p, "{inputs}", 8)) {
                manys++;
                if (strcmp(arg, "{inputs}"))
                    return fail_at(l, item,
                                   "run: \"{inputs}\" must be an argument of its own (it becomes "
                                   "one argument per file)");
            } else if (strncmp(p, "{workspace}", 11) && strncmp(p, "{stage}", 7)) {
                const char *close = strchr(p, '}');
                return fail_at(l, item,
                               "run: unknown placeholder '%.*s' (known: {input}, {inputs}, "
                               "{workspace}, {stage})",
                               close ? (int)(close - p + 1) : (int)strlen(p), p);
            }
        }
    }
    if (ones && manys)
        return fail_at(l, run_node, "run: use either {input} or {inputs}, not both");
    if (manys > 1)
        return fail_at(l, run_node, "run: {inputs} may appear once");
    s->input_mode = manys ? INPUT_MANY : ones ? INPUT_ONE : INPUT_NONE;
    return CR_OK;
}

static int load_stage(loader *l, yaml_node_t *node, const defaults *d, stage_config *s)
{
    memset(s, 0, sizeof *s);
    s->line = (int)node->start_mark.line + 1;
    s->retry = d->retry;
    s->timeout_ms = d->timeout_ms;
    s->grace_ms = d->grace_ms;
    s->concurrency = d->concurrency;
    if (notify_copy(&s->notify, &d->notify))
        return cr_fail(l->err, CR_EOTHER, "out of memory");
    stage_target t = {.stage = s};
    const field fields[] = {
        {"name", F_TEXT, .to = &s->name, .valid = valid_stage_name,
         .why = "is not a stage name (letters, digits, - and _)"},
        {"watch", F_LOAD, .to = s, .load = watch_load},
        {"match", F_LIST_OR_ONE, .to = &s->match, .count = &s->match_count},
        {"run", F_LIST, .to = &s->argv, .count = &s->argc, .node = &t.run_node},
        {"batch", F_LOAD, .to = &t, .load = batch_load, .node = &t.batch_node},
        {"settle", F_DURATION, .to = &s->settle_ms, .node = &t.settle_node},
        {"concurrency", F_WHOLE, .to = &s->concurrency, .min = 1, .max = 4096},
        {"retry", F_LOAD, .to = &s->retry, .load = retry_policy_load},
        {"timeout", F_DURATION, .to = &s->timeout_ms},
        {"grace", F_DURATION, .to = &s->grace_ms},
        {"notify", F_LOAD, .to = &s->notify, .load = notify_load},
    };
    int code = each_pair(l, node, "stage", "", FIELDS(fields));
    if (code)
        return code;
    if (!s->name)
        return fail_at(l, node, "stage: missing key 'name'");
    if (!s->watch)
        return fail_at(l, node, "stage '%s': missing key 'watch'", s->name);
    if (!s->argv)
        return fail_at(l, node, "stage '%s': missing key 'run'", s->name);
    char *const any[] = {"*"}; /* no match: every name */
    if (!s->match && list_copy(&s->match, &s->match_count, any, 1))
        return cr_fail(l->err, CR_EOTHER, "out of memory");
    code = check_placeholders(l, t.run_node, s);
    if (code)
        return code;
    if (t.batch_node) {
        if (s->input_mode == INPUT_ONE)
            return fail_at(l, t.batch_node,
                           "batch: stage '%s' runs one file at a time ({input}); a batch needs "
                           "{inputs} in run",
                           s->name);
        if (t.batch_settle_node && t.settle_node)
            return fail_at(l, t.batch_node,
                           "batch.settle: stage '%s' also has 'settle'; give one of them", s->name);
        if (t.batch_settle_node)
            s->settle_ms = t.batch_settle_ms;
    }
    if (s->batch_max_files == 0)
        s->batch_max_files = s->input_mode == INPUT_MANY ? 500 : 1;
    if (s->retry.max_delay_ms < s->retry.delay_ms)
        s->retry.max_delay_ms = s->retry.delay_ms;
    return CR_OK;
}

/* ---- dashboard ---- */

/* "ADDRESS:PORT", "[IPV6]:PORT" or "localhost:PORT": a numeric address, so that the Host
 * check (dashboard.c) knows every name the page may be reached by. */
static int dashboard_listen(loader *l, yaml_node_t *value, void *config)
{
    dashboard_config *d = config;
    int code = dup_scalar(l, value, "dashboard.listen", &d->listen);
    if (code)
        return code;
    const char *text = d->listen, *colon = strrchr(text, ':');
    char host[64];
    size_t host_len = colon ? (size_t)(colon - text) : 0;
    if (host_len >= 2 && text[0] == '[' && text[host_len - 1] == ']') {
        text++;
        host_len -= 2;
    }
    if (!colon || host_len == 0 || host_len >= sizeof host)
        return fail_at(l, value, "dashboard.listen: '%s' is not ADDRESS:PORT (e.g. 127.0.0.1:8080)",
                       d->listen);
    memcpy(host, text, host_len);
    host[host_len] = '\0';
    cr_err why;
    long port;
    if (cr_parse_long(colon + 1, 0, 65535, &port, &why))
        return fail_at(l, value, "dashboard.listen: port: %s", why.msg);
    unsigned char bytes[16];
    if (!strcmp(host, "localhost"))
        snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, bytes) == 1)
        d->loopback = bytes[0] == 127;
    else if (inet_pton(AF_INET6, host, bytes) == 1)
        d->loopback = !memcmp(bytes, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16);
    else
        return fail_at(l, value, "dashboard.listen: '%s' is not a numeric IPv4 or IPv6 address",
                       host);
    d->port = (int)port;
    free(d->address);
    d->address = strdup(host);
    return d->address ? CR_OK : cr_fail(l->err, CR_EOTHER, "out of memory");
}

static int load_dashboard(loader *l, yaml_node_t *node, dashboard_config *d)
{
    const field fields[] = {
        {"listen", F_LOAD, .to = d, .load = dashboard_listen},
        {"allow_remote", F_BOOL, .to = &d->allow_remote},
        {"hosts", F_LIST_OR_ONE, .to = &d->hosts, .count = &d->host_count},
    };
    int code = each_pair(l, node, "dashboard", "dashboard.", FIELDS(fields));
    if (!code && !d->listen)
        code = fail_at(l, node, "dashboard: missing key 'listen' (e.g. listen: 127.0.0.1:8080)");
    if (!code && !d->loopback && !d->allow_remote)
        code = fail_at(l, node,
                       "dashboard.listen: %s is not a loopback address: anyone who can reach it "
                       "sees the pipeline and may retry failed inputs; set allow_remote: true "
                       "to mean it",
                       d->address);
    return code;
}

static void dashboard_free(dashboard_config *d)
{
    free(d->listen);
    free(d->address);
    cr_free_list(d->hosts, (size_t)d->host_count);
    memset(d, 0, sizeof *d);
}

/* ---- the guard: checks pipeline.yaml passes before libyaml builds its document ---- */

/* A size, nesting depth and value count a pipeline never needs (libyaml's scanner slows with
 * the square of the nesting depth), checked in one pass of the event parser that stops at the
 * first limit crossed, so a hostile file costs as much as its first YAML_MAX_DEPTH levels.
 * Every parse error is placed at its line:column, also those of libyaml's reader (invalid
 * UTF-8, a NUL byte), which libyaml gives as a byte offset only. */
#define YAML_MAX_BYTES (1 << 20) /* a pipeline.yaml is a few KiB */
#define YAML_MAX_DEPTH 32        /* the deepest key SPEC.md knows is at level 5 */
#define YAML_MAX_EVENTS 200000   /* values, keys, lists and mappings all together */

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

static int yaml_guard_check(const char *path, const char *text, size_t len, cr_err *err)
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

/* ---- top level ---- */

/* Joins a relative path onto base; absolute paths are kept. */
static char *absolute_from(const char *base, const char *path)
{
    char *out;
    if (path[0] == '/')
        return strdup(path);
    if (!strcmp(path, "."))
        return strdup(base);
    const char *rest = !strncmp(path, "./", 2) ? path + 2 : path;
    if (asprintf(&out, "%s/%s", base, rest) < 0)
        return NULL;
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = '\0';
    return out;
}

static int load_document(loader *l, pipeline_config *c)
{
    yaml_node_t *root = yaml_document_get_root_node(l->doc);
    if (!root)
        return cr_fail(l->err, CR_EDATA, "%s:1:1: the file is empty", l->file);
    char *workspace = NULL;
    yaml_node_t *stages_node = NULL, *defaults_node = NULL, *dashboard_node = NULL;
    const field top[] = {
        {"workspace", F_TEXT, .to = &workspace},
        {"defaults", F_NODE, .node = &defaults_node},
        {"stages", F_NODE, .node = &stages_node},
        {"concurrency", F_WHOLE, .to = &c->concurrency, .min = 1, .max = 4096},
        {"dashboard", F_NODE, .node = &dashboard_node},
    };
    int code = each_pair(l, root, "top level", "", FIELDS(top));
    if (code) {
        free(workspace);
        return code;
    }
    defaults d = {.retry = {.max_attempts = 4,
                            .delay_ms = 1000,
                            .backoff = 2.0,
                            .max_delay_ms = 60000,
                            .jitter = 0.2},
                  .timeout_ms = 30 * 60 * 1000,
                  .grace_ms = 5000};
    const field defaults_fields[] = {
        {"retry", F_LOAD, .to = &d.retry, .load = retry_policy_load},
        {"timeout", F_DURATION, .to = &d.timeout_ms},
        {"grace", F_DURATION, .to = &d.grace_ms},
        {"concurrency", F_WHOLE, .to = &d.concurrency, .min = 1, .max = 4096},
        {"notify", F_LOAD, .to = &d.notify, .load = notify_load},
    };
    if (defaults_node)
        code = each_pair(l, defaults_node, "defaults", "", FIELDS(defaults_fields));
    if (!code && dashboard_node)
        code = load_dashboard(l, dashboard_node, &c->dashboard);
    if (!code && !stages_node)
        code = fail_at(l, root, "missing key 'stages'");
    if (!code && stages_node->type != YAML_SEQUENCE_NODE)
        code = fail_at(l, stages_node, "stages: expected a list of stages, found %s",
                       node_kind(stages_node));
    int n =
        code ? 0
             : (int)(stages_node->data.sequence.items.top - stages_node->data.sequence.items.start);
    if (!code && n == 0)
        code = fail_at(l, stages_node, "stages: empty list");
    if (!code && !(c->stages = calloc((size_t)n, sizeof *c->stages)))
        code = cr_fail(l->err, CR_EOTHER, "out of memory");
    for (int i = 0; !code && i < n; i++) {
        yaml_node_t *node = get(l, stages_node->data.sequence.items.start[i]);
        c->stage_count = i + 1;
        code = load_stage(l, node, &d, &c->stages[i]);
        for (int k = 0; !code && k < i; k++)
            if (!strcmp(c->stages[k].name, c->stages[i].name))
                code = fail_at(l, node, "stage '%s' is defined twice (first at line %d)",
                               c->stages[i].name, c->stages[k].line);
    }
    notify_free(&d.notify);
    if (!code) {
        c->workspace = absolute_from(c->dir, workspace ? workspace : ".");
        if (!c->workspace)
            code = cr_fail(l->err, CR_EOTHER, "out of memory");
    }
    /* Programs named with a '/' are relative to the config's folder. */
    for (int i = 0; !code && i < c->stage_count; i++) {
        stage_config *s = &c->stages[i];
        if (strchr(s->argv[0], '/') && s->argv[0][0] != '/') {
            char *abs = absolute_from(c->dir, s->argv[0]);
            if (!abs)
                code = cr_fail(l->err, CR_EOTHER, "out of memory");
            free(s->argv[0]);
            s->argv[0] = abs;
        }
    }
    free(workspace);
    if (!c->concurrency) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        c->concurrency = cores > 0 ? (int)cores : 1;
    }
    for (int i = 0; !code && i < c->stage_count; i++)
        if (!c->stages[i].concurrency || c->stages[i].concurrency > c->concurrency)
            c->stages[i].concurrency = c->concurrency;
    return code;
}

int config_parse(pipeline_config *c, const char *path, const char *text, size_t len, cr_err *err)
{
    memset(c, 0, sizeof *c);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return cr_fail_errno(err, CR_EIO, "getcwd");
    c->path = absolute_from(cwd, path);
    if (!c->path)
        return cr_fail(err, CR_EOTHER, "out of memory");
    char dir[PATH_MAX];
    cr_path_dirname(c->path, dir, sizeof dir);
    c->dir = strdup(dir);
    if (!c->dir)
        return cr_fail(err, CR_EOTHER, "out of memory");

    int code = yaml_guard_check(path, text, len, err);
    if (code) {
        config_free(c);
        return code;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return cr_fail(err, CR_EOTHER, "libyaml: cannot initialise the parser");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        code = parse_error(&parser, path, text, len, err);
        yaml_parser_delete(&parser);
        config_free(c);
        return code;
    }
    loader l = {.doc = &doc, .file = path, .err = err};
    code = load_document(&l, c);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (code)
        config_free(c);
    return code;
}

int config_load(pipeline_config *c, const char *path, cr_err *err)
{
    memset(c, 0, sizeof *c);
    char *text;
    size_t len;
    int code = cr_read_file(path, &text, &len, YAML_MAX_BYTES, err);
    if (code)
        return cr_err_context(err, "reading the config");
    code = config_parse(c, path, text, len, err);
    free(text);
    return code;
}

void config_free(pipeline_config *c)
{
    for (int i = 0; i < c->stage_count; i++) {
        stage_config *s = &c->stages[i];
        free(s->name);
        cr_free_list(s->watch, (size_t)s->watch_count);
        cr_free_list(s->match, (size_t)s->match_count);
        cr_free_list(s->argv, (size_t)s->argc);
        notify_free(&s->notify);
    }
    free(c->stages);
    free(c->path);
    free(c->dir);
    free(c->workspace);
    dashboard_free(&c->dashboard);
    memset(c, 0, sizeof *c);
}

const stage_config *config_stage(const pipeline_config *c, const char *name)
{
    for (int i = 0; i < c->stage_count; i++)
        if (!strcmp(c->stages[i].name, name))
            return &c->stages[i];
    return NULL;
}

static int executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int program_resolve(const char *name, char *out, size_t out_size, cr_err *err)
{
    if (strchr(name, '/')) {
        if (!executable(name))
            return cr_fail(err, CR_ENOINPUT, "program %s: not found or not executable", name);
        snprintf(out, out_size, "%s", name);
        return CR_OK;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char self_dir[PATH_MAX] = "";
    if (n > 0) {
        self[n] = '\0';
        cr_path_dirname(self, self_dir, sizeof self_dir);
        snprintf(out, out_size, "%s/%s", self_dir, name);
        if (executable(out))
            return CR_OK;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len > 0) {
            snprintf(out, out_size, "%.*s/%s", (int)len, p, name);
            if (executable(out))
                return CR_OK;
        }
        p += len + (colon ? 1 : 0);
    }
    return cr_fail(err, CR_ENOINPUT, "program '%s' not found (looked in %s, then PATH)", name,
                   self_dir[0] ? self_dir : "the orchestrator's folder");
}

/* Whether folder exists as a writable folder, or could be made: its nearest existing
 * ancestor is a folder we may write in. Makes nothing. */
static int folder_makeable(const char *folder, cr_err *err)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", folder);
    for (;;) {
        struct stat st;
        if (stat(path, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                return cr_fail(err, CR_EIO, "%s is in the way of %s (not a folder)", path, folder);
            if (access(path, W_OK | X_OK) != 0)
                return cr_fail_errno(err, CR_EIO, "%s cannot be made in %s", folder, path);
            return CR_OK;
        }
        if (errno != ENOENT)
            return cr_fail_errno(err, CR_EIO, "%s", path);
        char *slash = strrchr(path, '/');
        if (!slash || slash == path)
            return CR_OK;
        *slash = '\0';
    }
}

int config_check(const pipeline_config *c, cr_err *err)
{
    for (int i = 0; i < c->stage_count; i++) {
        const stage_config *s = &c->stages[i];
        char found[PATH_MAX];
        if (program_resolve(s->argv[0], found, sizeof found, err))
            return cr_err_context(err, "%s:%d: stage '%s'", c->path, s->line, s->name);
        for (int w = 0; w < s->watch_count; w++) {
            char *folder = absolute_from(c->workspace, s->watch[w]);
            if (!folder)
                return cr_fail(err, CR_EOTHER, "out of memory");
            int code = folder_makeable(folder, err);
            free(folder);
            if (code)
                return cr_err_context(err, "%s:%d: stage '%s': watch folder", c->path, s->line,
                                      s->name);
        }
    }
    return CR_OK;
}
