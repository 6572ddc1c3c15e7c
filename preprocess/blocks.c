/* blocks.c — repeated blocks: windows of lines hashed, the hashes kept in a SQLite file beside
 * the dedup index (tables blocks and block_docs), and the lines of windows that enough earlier
 * documents already have cut out. Windows are sized in bytes, not lines, so that a window of
 * code spans several short lines and one of prose a paragraph: a short common line (`}`,
 * `return 0;`) is never a block of its own. Which document comes first is document.c's (in the
 * input's dedup turn, order.c); whole-document duplicates are dedup.c's. */
#include "blocks.h"

#include <pthread.h>
#include <stddef.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "hash.h"
#include "progress.h"

/* The hash of windows is stored: changing it (or how a window is made) needs a new layout. */
#define LAYOUT "line windows by bytes, 64-bit word-wise hash, v1"

/* A block closes at about one line in ANCHOR_EVERY once it is min_bytes long, at the latest at
 * MAX_BLOCKS times min_bytes. */
#define ANCHOR_EVERY 4
#define MAX_BLOCKS 8

/* ---- windows ----------------------------------------------------------------------------- */

/* Eight bytes a step (little-endian loads: x86-64 is the only target). Not the tokenizer's
 * tok_hash_bytes (lib/vocab.c), which may change with the tokenizer: these hashes are stored,
 * so this function changes only with LAYOUT. */
static uint64_t line_hash(const unsigned char *p, size_t len)
{
    uint64_t h = 0x626C6F636B73ULL ^ (uint64_t)len * 0x9E3779B97F4A7C15ULL;
    while (len >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        h = (h ^ word) * 0x9FB21C651E98DF25ULL;
        h ^= h >> 29;
        p += 8;
        len -= 8;
    }
    uint64_t tail = 0;
    memcpy(&tail, p, len);
    return cr_mix64(h ^ tail);
}

static int is_blank_byte(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The window of the non-blank lines first..end-1. */
static void add_window(pp_block_windows *out, size_t first, size_t end)
{
    uint64_t h = 0x77696E646F77ULL;
    for (size_t j = first; j < end; j++)
        h = cr_mix64(h ^ out->line_hashes[j]) + j - first;
    out->items[out->count++] = (pp_block_window){h, first, end};
}

/* The three per-line arrays of pp_blocks_windows, room for `lines`. */
static int grow_lines(pp_block_windows *out, size_t **sizes, size_t lines, size_t *sizes_cap,
                      size_t *hashes_cap, size_t *numbers_cap)
{
    if (cr_grow(sizes, sizes_cap, lines, sizeof **sizes) < 0 ||
        cr_grow(&out->line_hashes, hashes_cap, lines, sizeof *out->line_hashes) < 0 ||
        cr_grow(&out->line_numbers, numbers_cap, lines, sizeof *out->line_numbers) < 0)
        return -1;
    return 0;
}

int pp_blocks_windows(const char *text, size_t len, size_t min_bytes, pp_block_windows *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *p = (const unsigned char *)text;
    size_t *sizes = NULL; /* bytes of each non-blank line */
    size_t count = 0, sizes_cap = 0, hashes_cap = 0, numbers_cap = 0;
    /* room for a line or more from the start: an empty text's hashes bind as an empty blob */
    if (grow_lines(out, &sizes, 64, &sizes_cap, &hashes_cap, &numbers_cap) < 0)
        goto oom;
    size_t line = 0;
    for (size_t start = 0; start < len; line++) {
        const unsigned char *nl = memchr(p + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - p) : len;
        size_t trimmed = end;
        while (trimmed > start && is_blank_byte(p[trimmed - 1]))
            trimmed--;
        if (trimmed > start) {
            if (grow_lines(out, &sizes, count + 1, &sizes_cap, &hashes_cap, &numbers_cap) < 0)
                goto oom;
            sizes[count] = trimmed - start;
            out->line_hashes[count] = line_hash(p + start, trimmed - start);
            out->line_numbers[count++] = line;
        }
        start = end + 1;
    }
    out->lines = count;
    out->line_count = line;
    out->items = malloc((count ? count : 1) * sizeof *out->items);
    if (!out->items)
        goto oom;
    if (min_bytes == 0)
        min_bytes = 1;
    /* Content-defined blocks, as rsync and backup tools cut files: a block closes after a line
     * whose hash is 0 mod ANCHOR_EVERY once it holds min_bytes (or MAX_BLOCKS times that), so
     * two documents that share a run of lines close blocks at the same lines inside it,
     * whatever came before the run. A line of min_bytes or more (a prose paragraph) is a block
     * of its own. Not windows sliding line by line: those find a repeated run to the line but
     * cost five times the index work (a SQLite row for every line of every document); the
     * ends of a run are found line by line from the keeper's lines instead (extend_cut). */
    size_t first = 0, bytes = 0;
    for (size_t k = 0; k < count; k++) {
        if (sizes[k] >= min_bytes) {
            if (bytes >= min_bytes) /* the lines before it, when no anchor closed them */
                add_window(out, first, k);
            add_window(out, k, k + 1);
            first = k + 1;
            bytes = 0;
            continue;
        }
        bytes += sizes[k];
        if (bytes >= min_bytes &&
            ((out->line_hashes[k] & (ANCHOR_EVERY - 1)) == 0 || bytes >= MAX_BLOCKS * min_bytes)) {
            add_window(out, first, k + 1);
            first = k + 1;
            bytes = 0;
        }
    }
    if (bytes >= min_bytes) /* the last lines; a shorter rest is no block */
        add_window(out, first, count);
    free(sizes);
    return 0;
oom:
    free(sizes);
    pp_block_windows_free(out);
    return -1;
}

void pp_block_windows_free(pp_block_windows *windows)
{
    free(windows->items);
    free(windows->line_hashes);
    free(windows->line_numbers);
    memset(windows, 0, sizeof *windows);
}

int pp_blocks_cut(const char *text, size_t len, const pp_block_windows *windows,
                  const unsigned char *cut, cr_buf *out, size_t *blocks)
{
    *blocks = 0;
    size_t line_count = windows->line_count;
    /* per line: 0 kept, 1 blank, 2 cut */
    unsigned char *state = calloc(line_count ? line_count : 1, 1);
    size_t *starts = malloc((line_count + 1) * sizeof *starts);
    if (!state || !starts) {
        free(state);
        free(starts);
        return -1;
    }
    size_t line = 0;
    for (size_t start = 0; start < len && line < line_count; line++) {
        const char *nl = memchr(text + start, '\n', len - start);
        size_t end = nl ? (size_t)(nl - text) : len;
        starts[line] = start;
        int blank = 1;
        for (size_t i = start; i < end && blank; i++)
            blank = is_blank_byte((unsigned char)text[i]);
        state[line] = blank ? 1 : 0;
        start = nl ? end + 1 : len;
    }
    starts[line] = len;
    for (size_t k = 0; k < windows->lines; k++)
        if (cut[k])
            state[windows->line_numbers[k]] = 2;
    /* a blank run between two cut lines goes with them */
    for (size_t i = 0; i < line_count; i++) {
        if (state[i] != 1)
            continue;
        size_t j = i;
        while (j < line_count && state[j] == 1)
            j++;
        if (i > 0 && state[i - 1] == 2 && j < line_count && state[j] == 2)
            memset(state + i, 2, j - i);
        i = j;
    }
    /* after a cut, a blank line that would start the text or double a blank line is dropped
     * (elsewhere the text stays as it is: code keeps its blank lines);
     * blank lines at the end are dropped by keeping the text up to its last kept line */
    size_t kept_end = 0;
    int emitted = 0, last_blank = 0, after_cut = 0;
    for (size_t i = 0; i < line_count; i++) {
        size_t from = starts[i], to = starts[i + 1];
        if (state[i] == 2) {
            if (i == 0 || state[i - 1] != 2)
                (*blocks)++;
            after_cut = 1;
            continue;
        }
        if (state[i] == 1) {
            if (after_cut && (!emitted || last_blank))
                continue;
            cr_buf_append(out, text + from, to - from);
            last_blank = 1;
            continue;
        }
        cr_buf_append(out, text + from, to - from);
        if (to == len && (len == 0 || text[len - 1] != '\n'))
            cr_buf_putc(out, '\n');
        kept_end = out->len;
        emitted = 1;
        last_blank = 0;
        after_cut = 0;
    }
    if (!out->failed) {
        out->len = kept_end;
        if (out->data)
            out->data[out->len] = '\0';
    }
    free(state);
    free(starts);
    return out->failed ? -1 : 0;
}

/* ---- the index --------------------------------------------------------------------------- */

/* blocks: a window's hash and the ids (space-separated, in the order they came) of the
 * documents that keep it, at most PP_BLOCKS_MAX_KEEP. block_docs: for each document that keeps
 * a block the hashes it keeps, so that its next run (or its rejection) can give them up, and
 * the hashes of its non-blank lines, so that a later document can find where a repeated run
 * it shares with this one begins and ends. Hashes are int64 arrays (host order: x86-64). */
struct pp_blocks {
    sqlite3 *db;
    pthread_mutex_t lock;
    char path[4096];
    size_t min_bytes;
    int keep;
    int in_transaction;
    size_t documents_in_transaction;
    double transaction_began_s;
    sqlite3_stmt *get_block, *insert_block, *update_block, *delete_block, *get_doc, *insert_doc,
        *delete_doc, *get_lines;
};

static int db_fail(pp_blocks *b, cr_err *err, const char *what)
{
    return cr_db_fail(b->db, err, "block index: %s", what);
}

static int exec(pp_blocks *b, const char *sql, cr_err *err)
{
    return cr_db_exec(b->db, sql, err);
}

static int step_done(pp_blocks *b, sqlite3_stmt *stmt, cr_err *err, const char *what)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? CR_OK : db_fail(b, err, what);
}

/* The value of info row name into value (empty when there is none). */
static int info_get(pp_blocks *b, const char *name, char *value, size_t size, cr_err *err)
{
    sqlite3_stmt *stmt;
    value[0] = '\0';
    if (sqlite3_prepare_v2(b->db, "SELECT value FROM info WHERE name = ?1", -1, &stmt, NULL))
        return db_fail(b, err, "reading the block layout");
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW && sqlite3_column_text(stmt, 0))
        snprintf(value, size, "%s", (const char *)sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK : db_fail(b, err, "reading the layout");
}

static int info_set(pp_blocks *b, const char *name, const char *value, cr_err *err)
{
    sqlite3_stmt *stmt;
    if (sqlite3_prepare_v2(b->db, "INSERT INTO info(name, value) VALUES (?1, ?2)", -1, &stmt, NULL))
        return db_fail(b, err, "recording the block layout");
    sqlite3_bind_text(stmt, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    sqlite3_finalize(stmt);
    return rc == SQLITE_DONE ? CR_OK : db_fail(b, err, "recording the block layout");
}

/* The layout and the window size are fixed when the tables are made: windows of another size
 * would never match the ones stored. */
static int check_layout(pp_blocks *b, size_t min_bytes, cr_err *err)
{
    char layout[128], size[32];
    int code = info_get(b, "blocks_layout", layout, sizeof layout, err);
    if (!code)
        code = info_get(b, "blocks_min_bytes", size, sizeof size, err);
    if (code)
        return code;
    if (layout[0] && strcmp(layout, LAYOUT) != 0)
        return cr_fail(err, CR_EIO, "dedup index %s: blocks made with another layout (\"%s\")",
                       b->path, layout);
    if (size[0]) {
        size_t stored = strtoul(size, NULL, 10);
        if (min_bytes && min_bytes != stored)
            return cr_fail(err, CR_EUSAGE,
                           "--block-min-bytes %zu: the index %s holds windows of %zu bytes (give "
                           "%zu, or another --dedup-db)",
                           min_bytes, b->path, stored, stored);
        b->min_bytes = stored;
        return CR_OK;
    }
    b->min_bytes = min_bytes ? min_bytes : PP_BLOCKS_MIN_BYTES;
    snprintf(size, sizeof size, "%zu", b->min_bytes);
    code = info_set(b, "blocks_layout", LAYOUT, err);
    return code ? code : info_set(b, "blocks_min_bytes", size, err);
}

int pp_blocks_open(pp_blocks **blocks, const char *path, size_t min_bytes, int keep, cr_err *err)
{
    *blocks = NULL;
    pp_blocks *b = calloc(1, sizeof *b);
    if (!b)
        return cr_fail(err, CR_EOTHER, "opening the dedup index: out of memory");
    snprintf(b->path, sizeof b->path, "%s", path);
    pthread_mutex_init(&b->lock, NULL);
    b->keep = keep < 1 ? 1 : keep > PP_BLOCKS_MAX_KEEP ? PP_BLOCKS_MAX_KEEP : keep;
    int code = cr_db_open(path, 30000, &b->db, err);
    if (code) {
        cr_err_context(err, "opening dedup index");
        pp_blocks_close(b, NULL);
        return code;
    }
    code =
        exec(b,
             "PRAGMA cache_size=-32768;" /* 32 MiB: the pages a batch changes stay cached */
             "BEGIN IMMEDIATE;"
             "CREATE TABLE IF NOT EXISTS info(name TEXT PRIMARY KEY, value TEXT);"
             "CREATE TABLE IF NOT EXISTS blocks(hash INTEGER PRIMARY KEY, keepers TEXT NOT NULL);"
             "CREATE TABLE IF NOT EXISTS block_docs(id TEXT PRIMARY KEY, hashes BLOB NOT NULL,"
             " lines BLOB NOT NULL);",
             err);
    if (!code) {
        code = check_layout(b, min_bytes, err);
        if (code)
            sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
        else
            code = exec(b, "COMMIT", err);
    }
    static const struct {
        size_t offset;
        const char *sql;
    } statements[] = {
        {offsetof(pp_blocks, get_block), "SELECT keepers FROM blocks WHERE hash = ?1"},
        {offsetof(pp_blocks, insert_block),
         "INSERT INTO blocks(hash, keepers) VALUES (?1, ?2) ON CONFLICT(hash) DO NOTHING"},
        {offsetof(pp_blocks, update_block), "UPDATE blocks SET keepers = ?2 WHERE hash = ?1"},
        {offsetof(pp_blocks, delete_block), "DELETE FROM blocks WHERE hash = ?1"},
        {offsetof(pp_blocks, get_doc), "SELECT hashes FROM block_docs WHERE id = ?1"},
        {offsetof(pp_blocks, insert_doc),
         "INSERT OR REPLACE INTO block_docs(id, hashes, lines) VALUES (?1, ?2, ?3)"},
        {offsetof(pp_blocks, get_lines), "SELECT lines FROM block_docs WHERE id = ?1"},
        {offsetof(pp_blocks, delete_doc), "DELETE FROM block_docs WHERE id = ?1"},
    };
    for (size_t i = 0; !code && i < sizeof statements / sizeof statements[0]; i++) {
        sqlite3_stmt **stmt = (sqlite3_stmt **)((char *)b + statements[i].offset);
        code = cr_db_prepare(b->db, stmt, statements[i].sql, err);
    }
    if (code) {
        if (code == CR_EOTHER || code == CR_EDATA)
            code = err->code = CR_EIO;
        pp_blocks_close(b, NULL);
        return code;
    }
    *blocks = b;
    return CR_OK;
}

static int end_locked(pp_blocks *b, int code, int force, cr_err *err);

int pp_blocks_close(pp_blocks *b, cr_err *err)
{
    if (!b)
        return CR_OK;
    cr_err ignored;
    pthread_mutex_lock(&b->lock);
    int code = b->db ? end_locked(b, CR_OK, 1, err ? err : &ignored) : CR_OK;
    pthread_mutex_unlock(&b->lock);
    sqlite3_stmt *stmts[] = {b->get_block, b->insert_block, b->update_block, b->delete_block,
                             b->get_doc,   b->insert_doc,   b->delete_doc,   b->get_lines};
    for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
        sqlite3_finalize(stmts[i]);
    if (b->db)
        sqlite3_close(b->db);
    pthread_mutex_destroy(&b->lock);
    free(b);
    return code;
}

/* keepers without id (ids are 32 hex digits, so a match is always a whole one). */
static void drop_keeper(char *keepers, const char *id)
{
    char *at = strstr(keepers, id);
    if (!at)
        return;
    size_t id_len = strlen(id);
    char *after = at + id_len;
    if (*after == ' ')
        after++;
    else if (at > keepers)
        at--; /* the last one: its separator goes */
    memmove(at, after, strlen(after) + 1);
}

/* Gives up every block id keeps (the transaction is the caller's). */
static int forget_locked(pp_blocks *b, const char *id, cr_err *err)
{
    sqlite3_bind_text(b->get_doc, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(b->get_doc);
    if (rc == SQLITE_DONE) {
        sqlite3_reset(b->get_doc);
        return CR_OK;
    }
    if (rc != SQLITE_ROW) {
        sqlite3_reset(b->get_doc);
        return db_fail(b, err, "reading a document's blocks");
    }
    size_t count = (size_t)sqlite3_column_bytes(b->get_doc, 0) / sizeof(int64_t);
    int64_t *hashes = malloc((count ? count : 1) * sizeof *hashes);
    if (!hashes) {
        sqlite3_reset(b->get_doc);
        return cr_fail(err, CR_EOTHER, "forgetting a document's blocks: out of memory");
    }
    if (count)
        memcpy(hashes, sqlite3_column_blob(b->get_doc, 0), count * sizeof *hashes);
    sqlite3_reset(b->get_doc);
    int code = CR_OK;
    char keepers[PP_BLOCKS_MAX_KEEP * CR_ID_SIZE + 1];
    for (size_t i = 0; i < count && code == CR_OK; i++) {
        sqlite3_bind_int64(b->get_block, 1, hashes[i]);
        rc = sqlite3_step(b->get_block);
        keepers[0] = '\0';
        if (rc == SQLITE_ROW && sqlite3_column_text(b->get_block, 0))
            snprintf(keepers, sizeof keepers, "%s",
                     (const char *)sqlite3_column_text(b->get_block, 0));
        sqlite3_reset(b->get_block);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            code = db_fail(b, err, "reading a block");
            break;
        }
        if (rc == SQLITE_DONE || !strstr(keepers, id))
            continue;
        drop_keeper(keepers, id);
        if (keepers[0]) {
            sqlite3_bind_int64(b->update_block, 1, hashes[i]);
            sqlite3_bind_text(b->update_block, 2, keepers, -1, SQLITE_STATIC);
            code = step_done(b, b->update_block, err, "forgetting a block");
        } else {
            sqlite3_bind_int64(b->delete_block, 1, hashes[i]);
            code = step_done(b, b->delete_block, err, "forgetting a block");
        }
    }
    free(hashes);
    if (code == CR_OK) {
        sqlite3_bind_text(b->delete_doc, 1, id, -1, SQLITE_STATIC);
        code = step_done(b, b->delete_doc, err, "forgetting a document's blocks");
    }
    return code;
}

static size_t keeper_count(const char *keepers)
{
    size_t count = keepers[0] ? 1 : 0;
    for (const char *p = keepers; *p; p++)
        count += *p == ' ';
    return count;
}

/* The keeper's non-blank line hashes, loaded once for the windows that name it in a row. */
typedef struct keeper_lines {
    char id[CR_ID_SIZE];
    int64_t *hashes;
    size_t count;
} keeper_lines;

static int load_keeper(pp_blocks *b, const char *id, keeper_lines *keeper, cr_err *err)
{
    if (strcmp(keeper->id, id) == 0)
        return CR_OK;
    free(keeper->hashes);
    keeper->hashes = NULL;
    keeper->count = 0;
    snprintf(keeper->id, sizeof keeper->id, "%s", id);
    sqlite3_bind_text(b->get_lines, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(b->get_lines);
    if (rc == SQLITE_ROW) {
        size_t count = (size_t)sqlite3_column_bytes(b->get_lines, 0) / sizeof(int64_t);
        keeper->hashes = malloc((count ? count : 1) * sizeof *keeper->hashes);
        if (keeper->hashes && count)
            memcpy(keeper->hashes, sqlite3_column_blob(b->get_lines, 0), count * sizeof(int64_t));
        keeper->count = keeper->hashes ? count : 0;
    }
    sqlite3_reset(b->get_lines);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? CR_OK
                                                 : db_fail(b, err, "reading a document's lines");
}

/* The window cut out of this document is also in the keeper: find it there, then take the
 * lines on either side that the keeper has too, within the window's paragraph (not across a
 * blank line: the next paragraph is another matter). *lo..*hi-1 narrows to what this keeper
 * shares; a keeper without the lines (an older layout) leaves the window alone. */
static void shared_run(const pp_block_windows *windows, const pp_block_window *window,
                       const keeper_lines *keeper, size_t *lo, size_t *hi)
{
    const uint64_t *mine = windows->line_hashes;
    const uint64_t *theirs = (const uint64_t *)keeper->hashes;
    size_t span = window->end - window->first;
    size_t at = keeper->count;
    for (size_t p = 0; p + span <= keeper->count && at == keeper->count; p++)
        if (memcmp(theirs + p, mine + window->first, span * sizeof *mine) == 0)
            at = p;
    if (at == keeper->count) {
        *lo = *lo > window->first ? *lo : window->first;
        *hi = *hi < window->end ? *hi : window->end;
        return;
    }
    size_t start = window->first, their_start = at;
    while (start > 0 && their_start > 0 && mine[start - 1] == theirs[their_start - 1] &&
           windows->line_numbers[start] == windows->line_numbers[start - 1] + 1)
        start--, their_start--;
    size_t end = window->end, their_end = at + span;
    while (end < windows->lines && their_end < keeper->count && mine[end] == theirs[their_end] &&
           windows->line_numbers[end] == windows->line_numbers[end - 1] + 1)
        end++, their_end++;
    *lo = *lo > start ? *lo : start;
    *hi = *hi < end ? *hi : end;
}

/* For each window in order: kept (recorded for id), or cut with the lines around it that every
 * one of its keepers shares (cut[] marks non-blank lines). */
static int decide_locked(pp_blocks *b, const char *id, const pp_block_windows *windows,
                         unsigned char *cut, int64_t *kept, size_t *kept_count, cr_err *err)
{
    char keepers[PP_BLOCKS_MAX_KEEP * CR_ID_SIZE + 1];
    keeper_lines keeper = {{0}, NULL, 0};
    int code = CR_OK;
    *kept_count = 0;
    for (size_t w = 0; w < windows->count && code == CR_OK; w++) {
        const pp_block_window *window = &windows->items[w];
        int64_t hash = (int64_t)window->hash;
        /* most windows are new: one statement records them */
        sqlite3_bind_int64(b->insert_block, 1, hash);
        sqlite3_bind_text(b->insert_block, 2, id, -1, SQLITE_STATIC);
        code = step_done(b, b->insert_block, err, "recording a block");
        if (code)
            break;
        if (sqlite3_changes(b->db) == 1) {
            kept[(*kept_count)++] = hash;
            continue;
        }
        sqlite3_bind_int64(b->get_block, 1, hash);
        int rc = sqlite3_step(b->get_block);
        keepers[0] = '\0';
        if (rc == SQLITE_ROW && sqlite3_column_text(b->get_block, 0))
            snprintf(keepers, sizeof keepers, "%s",
                     (const char *)sqlite3_column_text(b->get_block, 0));
        sqlite3_reset(b->get_block);
        if (rc != SQLITE_ROW) {
            code = db_fail(b, err, "looking up a block");
        } else if (strstr(keepers, id)) {
            continue; /* the same window earlier in this document */
        } else if (keeper_count(keepers) < (size_t)b->keep) {
            size_t used = strlen(keepers);
            snprintf(keepers + used, sizeof keepers - used, "%s%s", used ? " " : "", id);
            sqlite3_bind_int64(b->update_block, 1, hash);
            sqlite3_bind_text(b->update_block, 2, keepers, -1, SQLITE_STATIC);
            code = step_done(b, b->update_block, err, "recording a block");
            kept[(*kept_count)++] = hash;
        } else {
            size_t lo = 0, hi = windows->lines;
            char *rest = NULL;
            for (char *other = strtok_r(keepers, " ", &rest); other && code == CR_OK;
                 other = strtok_r(NULL, " ", &rest)) {
                code = load_keeper(b, other, &keeper, err);
                if (code == CR_OK)
                    shared_run(windows, window, &keeper, &lo, &hi);
            }
            if (code == CR_OK && lo < hi)
                memset(cut + lo, 1, hi - lo);
        }
    }
    free(keeper.hashes);
    if (code != CR_OK || *kept_count == 0) /* no later document will look for its lines */
        return code;
    sqlite3_bind_text(b->insert_doc, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_blob(b->insert_doc, 2, kept, (int)(*kept_count * sizeof *kept), SQLITE_STATIC);
    sqlite3_bind_blob(b->insert_doc, 3, windows->line_hashes,
                      (int)(windows->lines * sizeof *windows->line_hashes), SQLITE_STATIC);
    return step_done(b, b->insert_doc, err, "recording a document's blocks");
}

/* A write transaction spans several documents: a commit writes each page it changed once, and
 * the windows' random keys change pages all over the table (one commit a document doubled
 * preprocess's CPU time on the Python docs). It is committed after BATCH_DOCUMENTS documents or
 * BATCH_SECONDS, whichever comes first, so another process waits for the lock that long at
 * most, and at pp_blocks_close. The blocks have a file of their own (not the dedup index's),
 * so this transaction never holds up a dedup check. */
#define BATCH_DOCUMENTS 64
#define BATCH_SECONDS 0.25

static int begin_locked(pp_blocks *b, cr_err *err)
{
    if (b->in_transaction)
        return CR_OK;
    int code = exec(b, "BEGIN IMMEDIATE", err);
    if (code == CR_OK) {
        b->in_transaction = 1;
        b->documents_in_transaction = 0;
        b->transaction_began_s = cr_now_s();
    }
    return code;
}

/* Ends the transaction: committed when code is CR_OK (or forced), else rolled back. */
static int end_locked(pp_blocks *b, int code, int force, cr_err *err)
{
    if (!b->in_transaction)
        return code;
    if (code != CR_OK) {
        sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
        b->in_transaction = 0;
        return code;
    }
    if (!force && b->documents_in_transaction < BATCH_DOCUMENTS &&
        cr_now_s() - b->transaction_began_s < BATCH_SECONDS)
        return CR_OK;
    code = exec(b, "COMMIT", err);
    if (code != CR_OK)
        sqlite3_exec(b->db, "ROLLBACK", NULL, NULL, NULL);
    b->in_transaction = 0;
    return code;
}

int pp_blocks_apply(pp_blocks *b, const char *id, const char *text, size_t len, cr_buf *out,
                    pp_blocks_result *result, cr_err *err)
{
    memset(result, 0, sizeof *result);
    pp_block_windows windows;
    if (pp_blocks_windows(text, len, b->min_bytes, &windows) < 0)
        return cr_fail(err, CR_EOTHER, "finding repeated blocks: out of memory");
    unsigned char *cut = calloc(windows.lines ? windows.lines : 1, 1);
    int64_t *kept = malloc((windows.count ? windows.count : 1) * sizeof *kept);
    if (!cut || !kept) {
        free(cut);
        free(kept);
        pp_block_windows_free(&windows);
        return cr_fail(err, CR_EOTHER, "finding repeated blocks: out of memory");
    }
    size_t kept_count = 0;
    pthread_mutex_lock(&b->lock);
    int code = begin_locked(b, err);
    if (code == CR_OK) {
        code = forget_locked(b, id, err);
        if (code == CR_OK)
            code = decide_locked(b, id, &windows, cut, kept, &kept_count, err);
        b->documents_in_transaction++;
        code = end_locked(b, code, 0, err);
    }
    pthread_mutex_unlock(&b->lock);
    int any = 0;
    for (size_t k = 0; k < windows.lines && !any; k++)
        any = cut[k];
    if (code == CR_OK && any) {
        if (pp_blocks_cut(text, len, &windows, cut, out, &result->blocks) < 0)
            code = cr_fail(err, CR_EOTHER, "cutting repeated blocks: out of memory");
        result->bytes = len > out->len ? len - out->len : 0;
        result->changed = 1;
    }
    free(cut);
    free(kept);
    pp_block_windows_free(&windows);
    return code;
}

int pp_blocks_forget(pp_blocks *b, const char *id, cr_err *err)
{
    pthread_mutex_lock(&b->lock);
    int code = begin_locked(b, err);
    if (code == CR_OK)
        code = end_locked(b, forget_locked(b, id, err), 0, err);
    pthread_mutex_unlock(&b->lock);
    return code;
}
