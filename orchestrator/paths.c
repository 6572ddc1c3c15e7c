/* paths.c — see paths.h. Resolution is realpath(3) on the folder (a link as last name stays a
 * link, so its own location is judged) and on the whole path (where reading it would lead).
 * It checks; it never opens the file: hashing and running happen after the check. */
#include "paths.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

static int inside(const char *root, const char *resolved)
{
    size_t len = strlen(root);
    if (!strcmp(root, "/"))
        return 1;
    return !strncmp(resolved, root, len) && (resolved[len] == '/' || resolved[len] == 0);
}

int path_inside(const char *path, const char *root_folder)
{
    char root[PATH_MAX], folder[PATH_MAX], resolved[PATH_MAX];
    if (!realpath(root_folder, root))
        return 0;
    cr_path_dirname(path, folder, sizeof folder);
    if (!realpath(folder[0] ? folder : ".", resolved))
        return 0; /* its folder is gone: not ours to touch */
    return inside(root, resolved);
}

int input_allowed(const char *path, int outside_allowed, char *why, size_t why_size)
{
    char root[PATH_MAX], target[PATH_MAX];
    struct stat st;
    /* the workspace resolved: the current folder (physical: getcwd has no symlinks) */
    if (!getcwd(root, sizeof root) || stat(path, &st) != 0) {
        snprintf(why, why_size, "%s", strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(why, why_size, "not a regular file");
        return -1;
    }
    if (path[0] == '/' && outside_allowed)
        return 0; /* the user's own file, named by hand: run, never moved (quarantine.c) */
    if (!path_inside(path, ".")) {
        snprintf(why, why_size, "in a folder that resolves outside the workspace: not followed");
        return -1;
    }
    if (!realpath(path, target)) {
        snprintf(why, why_size, "%s", strerror(errno));
        return -1;
    }
    if (!inside(root, target)) {
        snprintf(why, why_size, "a symbolic link to %.*s, outside the workspace: not followed",
                 (int)(why_size > 80 ? why_size - 80 : 1), target);
        return -1;
    }
    return 0;
}

void workspace_relative(const char *workspace, const char *path, char *out, size_t out_size)
{
    size_t len = strlen(workspace);
    if (!strncmp(path, workspace, len) && path[len] == '/')
        path += len + 1;
    snprintf(out, out_size, "%s", path);
}

int path_absolute_lexical(const char *path, char *out, size_t out_size)
{
    char joined[2 * PATH_MAX];
    if (path[0] == '/')
        snprintf(joined, sizeof joined, "%s", path);
    else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return -1;
        snprintf(joined, sizeof joined, "%s/%s", cwd, path);
    }
    size_t used = 0;
    out[0] = 0;
    for (char *save = NULL, *name = strtok_r(joined, "/", &save); name;
         name = strtok_r(NULL, "/", &save)) {
        if (!strcmp(name, "."))
            continue;
        if (!strcmp(name, "..")) {
            while (used > 0 && out[used - 1] != '/')
                used--;
            if (used > 0)
                used--; /* the slash */
            out[used] = 0;
            continue;
        }
        size_t len = strlen(name);
        if (used + 1 + len + 1 > out_size)
            return -1;
        out[used++] = '/';
        memcpy(out + used, name, len + 1);
        used += len;
    }
    if (!used)
        snprintf(out, out_size, "/");
    return 0;
}

int workspace_prepare(const pipeline_config *c, cr_err *err)
{
    int code = cr_mkdir_p(c->workspace, err);
    if (code)
        return cr_err_context(err, "workspace");
    if (chdir(c->workspace) != 0)
        return cr_fail_errno(err, CR_EIO, "entering the workspace %s", c->workspace);
    const char *folders[] = {STATE_DIR, STATE_RUN_LOGS, FAILED_DIR};
    for (size_t i = 0; i < sizeof folders / sizeof folders[0]; i++)
        if ((code = cr_mkdir_p(folders[i], err)))
            return code;
    chmod(STATE_DIR, 0700);
    for (int i = 0; i < c->stage_count; i++)
        for (int w = 0; w < c->stages[i].watch_count; w++)
            if ((code = cr_mkdir_p(c->stages[i].watch[w], err)))
                return cr_err_context(err, "stage '%s': watch folder", c->stages[i].name);
    return CR_OK;
}
