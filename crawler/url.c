/* url.c — RFC 3986 reference resolution (section 5.2) and syntax-based normalisation
 * (section 6.2.2) for http(s) URLs, plus the browser habits real pages rely on (tabs and
 * newlines stripped, backslashes read as slashes). It does not convert IDN hosts, resolve
 * names or look at the network; scope decisions live in scope.c. Tests: tests/crawler/test_url.c.
 */
#include "url.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A parsed reference: spans into a scratch copy (len -1 means the component is absent). */
typedef struct ref_parts {
    const char *scheme, *authority, *path, *query;
    int scheme_len, authority_len, path_len, query_len;
} ref_parts;

static void split_reference(const char *s, ref_parts *r)
{
    memset(r, 0, sizeof *r);
    r->scheme_len = r->authority_len = r->query_len = -1;
    const char *p = s;
    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (isalpha((unsigned char)*p)) {
        const char *q = p + 1;
        while (isalnum((unsigned char)*q) || *q == '+' || *q == '-' || *q == '.')
            q++;
        if (*q == ':') {
            r->scheme = p;
            r->scheme_len = (int)(q - p);
            p = q + 1;
        }
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        size_t n = strcspn(p, "/?#");
        r->authority = p;
        r->authority_len = (int)n;
        p += n;
    }
    size_t n = strcspn(p, "?#");
    r->path = p;
    r->path_len = (int)n;
    p += n;
    if (*p == '?') {
        p++;
        n = strcspn(p, "#");
        r->query = p;
        r->query_len = (int)n;
    }
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int is_unreserved(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_sub_delim(int c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Appends len bytes of a path or query with percent-encoding normalised. Returns -1 when out
 * is full. */
static int put_encoded(char *out, size_t out_size, size_t *pos, const char *s, size_t len,
                       int is_query)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tmp[4];
        size_t tmp_len;
        if (c == '%' && i + 2 < len && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
            int v = hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]);
            i += 2;
            if (is_unreserved(v)) {
                tmp[0] = (char)v;
                tmp_len = 1;
            } else {
                tmp[0] = '%';
                tmp[1] = hex[v >> 4];
                tmp[2] = hex[v & 15];
                tmp_len = 3;
            }
        } else if (is_unreserved(c) || is_sub_delim(c) || c == ':' || c == '@' || c == '/' ||
                   (is_query && c == '?')) {
            tmp[0] = (char)c;
            tmp_len = 1;
        } else {
            tmp[0] = '%';
            tmp[1] = hex[c >> 4];
            tmp[2] = hex[c & 15];
            tmp_len = 3;
        }
        if (*pos + tmp_len >= out_size)
            return -1;
        memcpy(out + *pos, tmp, tmp_len);
        *pos += tmp_len;
    }
    out[*pos] = '\0';
    return 0;
}

/* RFC 3986 5.2.4, in place on a NUL-terminated path. */
static void remove_dot_segments(char *path)
{
    char *in = path, *out = path;
    while (*in) {
        if (strncmp(in, "../", 3) == 0) {
            in += 3;
        } else if (strncmp(in, "./", 2) == 0) {
            in += 2;
        } else if (strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (strcmp(in, "/.") == 0) {
            in[1] = '\0';
        } else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
            if (in[3] == '/')
                in += 3;
            else {
                in += 2;
                *in = '/';
            }
            while (out > path && *--out != '/') {
            }
        } else if (strcmp(in, ".") == 0 || strcmp(in, "..") == 0) {
            *in = '\0';
        } else {
            if (*in == '/')
                *out++ = *in++;
            while (*in && *in != '/')
                *out++ = *in++;
        }
    }
    *out = '\0';
}

/* Merges a relative path with the base path (RFC 3986 5.2.3) into out. */
static int merge_paths(const char *base_path, int base_has_authority, const char *ref,
                       size_t ref_len, char *out, size_t out_size)
{
    size_t base_len = 0;
    if (base_has_authority && base_path[0] == '\0') {
        if (ref_len + 2 > out_size)
            return -1;
        out[0] = '/';
        memcpy(out + 1, ref, ref_len);
        out[ref_len + 1] = '\0';
        return 0;
    }
    const char *slash = strrchr(base_path, '/');
    if (slash)
        base_len = (size_t)(slash - base_path) + 1;
    if (base_len + ref_len + 1 > out_size)
        return -1;
    memcpy(out, base_path, base_len);
    memcpy(out + base_len, ref, ref_len);
    out[base_len + ref_len] = '\0';
    return 0;
}

/* Cleans a reference the way browsers do: leading/trailing spaces and controls trimmed, tabs
 * and newlines removed, backslashes before the query read as slashes. */
static int clean_reference(const char *ref, char *out, size_t out_size)
{
    while (*ref && (unsigned char)*ref <= ' ')
        ref++;
    size_t len = strlen(ref);
    while (len > 0 && (unsigned char)ref[len - 1] <= ' ')
        len--;
    size_t pos = 0;
    int in_query = 0;
    for (size_t i = 0; i < len; i++) {
        char c = ref[i];
        if (c == '\t' || c == '\n' || c == '\r')
            continue;
        if (c == '?' || c == '#')
            in_query = 1;
        if (c == '\\' && !in_query)
            c = '/';
        if (pos + 1 >= out_size)
            return -1;
        out[pos++] = c;
    }
    out[pos] = '\0';
    return 0;
}

static int default_port(const char *scheme)
{
    return strcmp(scheme, "https") == 0 ? 443 : 80;
}

/* Normalises the authority: userinfo dropped, host lowercased without a trailing dot, default
 * port removed. Writes "host" or "host:port". */
static int normalize_authority(const char *auth, int auth_len, const char *scheme, char *out,
                               size_t out_size)
{
    const char *at = memrchr(auth, '@', (size_t)auth_len);
    if (at) {
        auth_len -= (int)(at + 1 - auth);
        auth = at + 1;
    }
    const char *host = auth;
    int host_len = auth_len;
    const char *port = NULL;
    int port_len = 0;
    if (auth_len > 0 && auth[0] == '[') {
        const char *close = memchr(auth, ']', (size_t)auth_len);
        if (!close)
            return -1;
        host_len = (int)(close - auth) + 1;
        if (host_len < auth_len) {
            if (close[1] != ':')
                return -1;
            port = close + 2;
            port_len = auth_len - host_len - 1;
        }
    } else {
        const char *colon = memchr(auth, ':', (size_t)auth_len);
        if (colon) {
            host_len = (int)(colon - auth);
            port = colon + 1;
            port_len = auth_len - host_len - 1;
        }
    }
    while (host_len > 0 && host[host_len - 1] == '.')
        host_len--;
    if (host_len <= 0 || host_len > 253)
        return -1;
    long port_value = default_port(scheme);
    if (port && port_len > 0) {
        if (port_len > 5)
            return -1;
        port_value = 0;
        for (int i = 0; i < port_len; i++) {
            if (!isdigit((unsigned char)port[i]))
                return -1;
            port_value = port_value * 10 + (port[i] - '0');
        }
        if (port_value <= 0 || port_value > 65535)
            return -1;
    }
    size_t pos = 0;
    static const char hex[] = "0123456789ABCDEF";
    for (int i = 0; i < host_len; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= ' ' || strchr("/?#@<>\\^|\"`{}", c))
            return -1;
        if (pos + 4 >= out_size)
            return -1;
        if (c == '%' && i + 2 < host_len && hex_value(host[i + 1]) >= 0 &&
            hex_value(host[i + 2]) >= 0) {
            int v = hex_value(host[i + 1]) * 16 + hex_value(host[i + 2]);
            i += 2;
            if (is_unreserved(v)) {
                out[pos++] = (char)tolower(v);
            } else {
                out[pos++] = '%';
                out[pos++] = hex[v >> 4];
                out[pos++] = hex[v & 15];
            }
        } else if (c >= 0x80 || c == '%') { /* IDN bytes, a stray '%': percent-encoded */
            out[pos++] = '%';
            out[pos++] = hex[c >> 4];
            out[pos++] = hex[c & 15];
        } else {
            out[pos++] = (char)tolower(c);
        }
    }
    /* Again after decoding: "%2e" is a dot too. The length limit holds for the normal form
     * as well (percent-encoding triples a byte), so that a normal form normalises again to
     * itself and fits url_parts.host. */
    while (pos > 0 && out[pos - 1] == '.')
        pos--;
    if (pos == 0 || pos > 253)
        return -1;
    if (port_value != default_port(scheme)) {
        int n = snprintf(out + pos, out_size - pos, ":%ld", port_value);
        if (n < 0 || (size_t)n >= out_size - pos)
            return -1;
        pos += (size_t)n;
    }
    out[pos] = '\0';
    return 0;
}

int url_normalize(const char *base, const char *ref_text, char *out, size_t out_size)
{
    char ref_clean[URL_MAX], base_copy[URL_MAX];
    if (clean_reference(ref_text, ref_clean, sizeof ref_clean) < 0)
        return -1;
    ref_parts ref, b;
    split_reference(ref_clean, &ref);

    /* The base is itself normalised, so its parts are already clean. */
    int have_base = base && *base;
    if (have_base) {
        if (strlen(base) >= sizeof base_copy)
            return -1;
        strcpy(base_copy, base);
        split_reference(base_copy, &b);
    }
    if (ref.scheme_len < 0 && !have_base)
        return -1;

    char scheme[8];
    const char *auth;
    int auth_len;
    char path[URL_MAX];
    const char *query;
    int query_len;

    if (ref.scheme_len >= 0) {
        if (ref.scheme_len >= (int)sizeof scheme)
            return -1;
        for (int i = 0; i < ref.scheme_len; i++)
            scheme[i] = (char)tolower((unsigned char)ref.scheme[i]);
        scheme[ref.scheme_len] = '\0';
    } else {
        if (b.scheme_len < 0 || b.scheme_len >= (int)sizeof scheme)
            return -1;
        memcpy(scheme, b.scheme, (size_t)b.scheme_len);
        scheme[b.scheme_len] = '\0';
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        return -1;
    /* "http:page" with the base's scheme is relative, as browsers read it. */
    if (ref.scheme_len >= 0 && ref.authority_len < 0 && have_base && b.scheme_len >= 0 &&
        (size_t)b.scheme_len == strlen(scheme) && strncmp(b.scheme, scheme, strlen(scheme)) == 0)
        ref.scheme_len = -1;

    if (ref.scheme_len >= 0 || ref.authority_len >= 0) {
        if (ref.authority_len < 0)
            return -1; /* "http:x" without a base of the same scheme: no host */
        auth = ref.authority;
        auth_len = ref.authority_len;
        if ((size_t)ref.path_len >= sizeof path)
            return -1;
        memcpy(path, ref.path, (size_t)ref.path_len);
        path[ref.path_len] = '\0';
        query = ref.query;
        query_len = ref.query_len;
    } else {
        if (b.authority_len < 0)
            return -1;
        auth = b.authority;
        auth_len = b.authority_len;
        char base_path[URL_MAX];
        memcpy(base_path, b.path, (size_t)b.path_len);
        base_path[b.path_len] = '\0';
        if (ref.path_len == 0) {
            strcpy(path, base_path);
            if (ref.query_len >= 0) {
                query = ref.query;
                query_len = ref.query_len;
            } else {
                query = b.query;
                query_len = b.query_len;
            }
        } else {
            if (ref.path[0] == '/') {
                if ((size_t)ref.path_len >= sizeof path)
                    return -1;
                memcpy(path, ref.path, (size_t)ref.path_len);
                path[ref.path_len] = '\0';
            } else if (merge_paths(base_path, 1, ref.path, (size_t)ref.path_len, path,
                                   sizeof path) < 0) {
                return -1;
            }
            query = ref.query;
            query_len = ref.query_len;
        }
    }

    char host[300];
    if (normalize_authority(auth, auth_len, scheme, host, sizeof host) < 0)
        return -1;

    char norm_path[URL_MAX];
    size_t pos = 0;
    if (put_encoded(norm_path, sizeof norm_path, &pos, path, strlen(path), 0) < 0)
        return -1;
    remove_dot_segments(norm_path);
    if (norm_path[0] != '/') {
        /* Only possible for an empty path: make it the root. */
        if (strlen(norm_path) + 2 > sizeof norm_path)
            return -1;
        memmove(norm_path + 1, norm_path, strlen(norm_path) + 1);
        norm_path[0] = '/';
    }

    int n = snprintf(out, out_size, "%s://%s%s", scheme, host, norm_path);
    if (n < 0 || (size_t)n >= out_size)
        return -1;
    pos = (size_t)n;
    if (query && query_len > 0) {
        if (pos + 2 >= out_size)
            return -1;
        out[pos++] = '?';
        if (put_encoded(out, out_size, &pos, query, (size_t)query_len, 1) < 0)
            return -1;
    }
    out[pos] = '\0';
    return 0;
}

int url_split(const char *url, url_parts *parts)
{
    memset(parts, 0, sizeof *parts);
    const char *sep = strstr(url, "://");
    if (!sep || sep - url >= (long)sizeof parts->scheme)
        return -1;
    memcpy(parts->scheme, url, (size_t)(sep - url));
    const char *auth = sep + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *port = NULL;
    size_t host_len = auth_len;
    if (auth[0] == '[') {
        const char *close = memchr(auth, ']', auth_len);
        if (!close)
            return -1;
        host_len = (size_t)(close - auth) + 1;
        if (host_len < auth_len && close[1] == ':')
            port = close + 2;
    } else {
        const char *colon = memchr(auth, ':', auth_len);
        if (colon) {
            host_len = (size_t)(colon - auth);
            port = colon + 1;
        }
    }
    if (host_len == 0 || host_len >= sizeof parts->host)
        return -1;
    memcpy(parts->host, auth, host_len);
    parts->port = port ? atoi(port) : default_port(parts->scheme);
    const char *path = auth + auth_len;
    snprintf(parts->path, sizeof parts->path, "%s", *path ? path : "/");
    return 0;
}

int url_origin(const char *url, char *out, size_t out_size)
{
    url_parts parts;
    if (url_split(url, &parts) < 0)
        return -1;
    int n = snprintf(out, out_size, "%s://%s:%d", parts.scheme, parts.host, parts.port);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

const char *url_path_query(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep)
        return "/";
    const char *path = sep + 3 + strcspn(sep + 3, "/?");
    return *path ? path : "/";
}

int url_normalize_encoding(const char *text, char *out, size_t out_size)
{
    size_t pos = 0;
    if (out_size == 0)
        return -1;
    out[0] = '\0';
    return put_encoded(out, out_size, &pos, text, strlen(text), 1);
}
