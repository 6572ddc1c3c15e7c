/* test_fuzz.c — random inputs through the parsers that read what the network sends (URLs,
 * robots.txt, HTML, sitemaps, headers): no crash (run under ASan with SANITIZE=1), and
 * normalisation is idempotent: a normalised URL normalises to itself. Deterministic seed. */
#include <string.h>

#include "check.h"
#include "http.h"
#include "links.h"
#include "robots.h"
#include "url.h"

static unsigned long long rng_state = 88172645463325252ULL;

static unsigned next_random(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state >> 32);
}

/* A string of len bytes drawn mostly from URL syntax, sometimes any byte. */
static void random_text(char *out, size_t len)
{
    static const char alphabet[] = "abcXYZ019-._~:/?#[]@!$&'()*+,;=% \\\t\n.%2e%41%zzhttp://";
    for (size_t i = 0; i < len; i++) {
        unsigned r = next_random();
        out[i] =
            r % 10 == 0 ? (char)(1 + (r >> 8) % 255) : alphabet[(r >> 8) % (sizeof alphabet - 1)];
    }
    out[len] = '\0';
}

TEST(normalisation_is_idempotent_and_bounded)
{
    char ref[300], once[URL_MAX], twice[URL_MAX], small[24];
    const char *bases[] = {"http://h/a/b?q", "https://x.example:8443/", "http://[::1]/d/"};
    int valid = 0;
    for (int i = 0; i < 200000; i++) {
        size_t len = next_random() % 120;
        random_text(ref, len);
        if (i % 3 == 0)
            memcpy(ref, "http://", len >= 7 ? 7 : len);
        const char *base = i % 4 == 0 ? NULL : bases[i % 3];
        if (url_normalize(base, ref, once, sizeof once) == 0) {
            valid++;
            if (url_normalize(NULL, once, twice, sizeof twice) != 0 || strcmp(once, twice) != 0) {
                CHECK_STR_EQ(twice, once);
                printf("# from base %s and reference \"%s\"\n", base ? base : "(none)", ref);
                break;
            }
        }
        url_normalize(base, ref, small, sizeof small); /* must not overflow */
    }
    CHECK(valid > 1000); /* the generator reaches the interesting paths */
}

TEST(robots_and_headers_survive_junk)
{
    char text[2048];
    for (int i = 0; i < 20000; i++) {
        size_t len = next_random() % 400;
        random_text(text, len);
        if (i % 2)
            memcpy(text, "User-agent: *\nDisallow: ", len >= 24 ? 24 : len);
        robots r;
        if (robots_parse(text, len, "crystalline-crawler", &r) == 0) {
            robots_allowed(&r, "/a/b?c");
            robots_free(&r);
        }
        char value[64], type[32], charset[16];
        http_header_value(text, len, "content-type", value, sizeof value);
        http_media_type(text, type, sizeof type, charset, sizeof charset);
        http_retry_after_s(text, 0);
    }
    CHECK(1);
}

TEST(html_and_sitemaps_survive_junk)
{
    static const char *pieces[] = {"<a href='",
                                   "'>",
                                   "<base href=",
                                   "<meta name=robots content=",
                                   "<area href=x>",
                                   "<!--",
                                   "-->",
                                   "<frame src=",
                                   "<urlset>",
                                   "<url><loc>",
                                   "</loc></url>",
                                   "<sitemapindex>",
                                   "&amp;",
                                   "\"",
                                   "<",
                                   ">",
                                   "http://h/",
                                   "../",
                                   "\xff\xfe",
                                   "<![CDATA["};
    char doc[4096];
    for (int i = 0; i < 3000; i++) {
        size_t len = 0;
        int parts = (int)(next_random() % 40);
        for (int k = 0; k < parts; k++) {
            const char *p = pieces[next_random() % (sizeof pieces / sizeof pieces[0])];
            size_t n = strlen(p);
            if (len + n + 1 >= sizeof doc)
                break;
            memcpy(doc + len, p, n);
            len += n;
        }
        doc[len] = '\0';
        page_links l;
        if (links_extract(doc, len, "http://h/dir/", NULL, "crystalline-crawler", &l) == 0) {
            for (size_t k = 0; k < l.count; k++)
                CHECK(strncmp(l.urls[k], "http", 4) == 0);
            links_free(&l);
        }
        sitemap_urls s;
        if (sitemap_parse(doc, len, &s) == 0)
            sitemap_free(&s);
    }
}

int main(void)
{
    RUN(normalisation_is_idempotent_and_bounded);
    RUN(robots_and_headers_survive_junk);
    RUN(html_and_sitemaps_survive_junk);
    return check_summary();
}
