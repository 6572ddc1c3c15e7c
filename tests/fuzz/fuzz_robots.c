/* fuzz_robots.c — robots.txt as a server sends it (crawler/robots.c): parsing for our product
 * token, then matching. Input: the robots.txt, a NUL byte, then paths to check, one a line
 * (each normalised as crawl.c does before asking). Fetching and caching are not involved. */
#include "fuzz.h"
#include "robots.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *paths;
    size_t paths_size;
    char *text = fuzz_split(data, size, &paths, &paths_size);
    robots r;
    /* The length given is the bytes before the NUL: the parser must not read past it. */
    if (robots_parse(text, strlen(text), "crystalline-crawler", &r) != 0) {
        free(text);
        return 0;
    }
    char line[1024], url[URL_MAX];
    int checked = 0;
    while (paths_size > 0 && checked < 32) {
        const uint8_t *end = memchr(paths, '\n', paths_size);
        size_t n = end ? (size_t)(end - paths) : paths_size;
        snprintf(line, sizeof line, "http://example.com/%.*s", (int)(n < 900 ? n : 900),
                 (const char *)paths);
        if (strlen(line) == sizeof "http://example.com/" - 1 + (n < 900 ? n : 900) &&
            url_normalize(NULL, line, url, sizeof url) == 0)
            robots_allowed(&r, url_path_query(url));
        paths += end ? n + 1 : n;
        paths_size -= end ? n + 1 : n;
        checked++;
    }
    if (!checked)
        robots_allowed(&r, "/");
    robots_free(&r);
    free(text);
    return 0;
}
