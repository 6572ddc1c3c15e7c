/* quarantine.c — see quarantine.h. The .error file is written atomically (lib/fs.h) after the
 * rename, so a crash between the two leaves the input in failed/ and the record saying so;
 * an input on another file system (EXDEV) is left where it is and the .error says where. */
#include "quarantine.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "fs.h"
#include "hash.h"
#include "log.h"
#include "paths.h"

/* Room after the name in failed/: ".NNNN" when taken, ".error", and the atomic writer's
 * ".tmp.<pid>" (lib/fs.h). */
#define NAME_SUFFIX_ROOM 40

/* The name an input gets in failed/: its own, or when that leaves no room for the suffixes, its
 * first bytes (cut on a UTF-8 boundary), '~' and 16 hex digits of the SHA-256 of the whole
 * name, so that the .error can always be written beside it (it names the input in full). */
static void quarantine_name(const char *name, char *out, size_t out_size)
{
    size_t len = strlen(name), limit = NAME_MAX - NAME_SUFFIX_ROOM;
    if (len <= limit) {
        snprintf(out, out_size, "%s", name);
        return;
    }
    uint8_t digest[32];
    char hex[65];
    cr_sha256_bytes(name, len, digest);
    cr_hex_encode(digest, 8, hex);
    hex[16] = 0;
    size_t keep = limit - 17;
    while (keep > 0 && ((unsigned char)name[keep] & 0xC0) == 0x80)
        keep--; /* not inside a UTF-8 sequence */
    snprintf(out, out_size, "%.*s~%s", (int)keep, name, hex);
}

int quarantine_move(const char *failed_root, const quarantine_report *r, char *moved_to,
                    size_t moved_to_size, cr_err *err)
{
    char folder[PATH_MAX];
    if (snprintf(folder, sizeof folder, "%s/%s", failed_root, r->stage) >= (int)sizeof folder)
        return cr_fail(err, CR_EUSAGE, "path too long: %s", failed_root);
    int code = cr_mkdir_p(folder, err);
    if (code)
        return code;
    const char *slash = strrchr(r->input, '/');
    char base[NAME_MAX + 1];
    quarantine_name(slash ? slash + 1 : r->input, base, sizeof base);
    char dest[2 * PATH_MAX], error_path[2 * PATH_MAX + 8];
    struct stat st;
    for (int n = 0;; n++) {
        if (n == 0)
            snprintf(dest, sizeof dest, "%s/%s", folder, base);
        else
            snprintf(dest, sizeof dest, "%s/%s.%d", folder, base, n);
        snprintf(error_path, sizeof error_path, "%s.error", dest);
        if (lstat(dest, &st) != 0 && lstat(error_path, &st) != 0)
            break;
    }
    const char *where = dest;
    char note[PATH_MAX + 64] = "";
    char workspace[PATH_MAX]; /* the folder that holds failed/ */
    cr_path_dirname(failed_root, workspace, sizeof workspace);
    if (!path_inside(r->input, workspace[0] ? workspace : ".")) {
        /* a file named by hand from outside: the user's, never moved (SPEC.md, round 2) */
        snprintf(note, sizeof note, "the input is outside the workspace: it is left where it is");
        where = r->input;
    } else if (rename(r->input, dest) != 0) {
        if (errno == ENOENT)
            snprintf(note, sizeof note, "the input was gone when it was to be moved here");
        else
            snprintf(note, sizeof note, "the input could not be moved here (%s): it is still at %s",
                     strerror(errno), r->input);
        where = r->input;
    } else {
        cr_fsync_dir(folder, NULL);
    }
    char when[32];
    cr_wall_iso(when);
    /* read with cat: names and messages with their control characters escaped */
    char input_shown[2 * PATH_MAX], error_shown[2048], note_shown[2 * PATH_MAX];
    cr_escape_controls(r->input, input_shown, sizeof input_shown);
    cr_escape_controls(r->last_error ? r->last_error : "", error_shown, sizeof error_shown);
    cr_escape_controls(note, note_shown, sizeof note_shown);
    cr_buf b;
    cr_buf_init(&b);
    cr_buf_printf(&b,
                  "stage: %s\ninput: %s\nsha256: %s\nattempts: %d\nexit codes: %s\n"
                  "last error: %s\nfailed at: %s\n",
                  r->stage, input_shown, r->hash ? r->hash : "", r->attempts,
                  r->exit_codes ? r->exit_codes : "", error_shown, when);
    if (r->log_path)
        cr_buf_printf(&b, "run log: %s\n", r->log_path);
    if (note[0])
        cr_buf_printf(&b, "note: %s\n", note_shown);
    cr_buf_puts(&b, "last output lines:\n");
    const char *p = r->log_tail ? r->log_tail : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[1024], line_shown[4096];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        cr_escape_controls(line, line_shown, sizeof line_shown);
        cr_buf_puts(&b, "  ");
        cr_buf_puts(&b, line_shown);
        cr_buf_putc(&b, '\n');
        p += len + (nl ? 1 : 0);
    }
    if (b.failed) {
        cr_buf_free(&b);
        return cr_fail(err, CR_EOTHER, "out of memory");
    }
    code = cr_write_file_atomic(error_path, b.data, b.len, err);
    cr_buf_free(&b);
    snprintf(moved_to, moved_to_size, "%s", where);
    return code;
}
