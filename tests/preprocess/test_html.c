/* test_html.c — finding the main text of a page (html.c): the density score on pages without
 * semantic markup, hidden elements, titles. */
#include "check.h"
#include "html.h"

static const char *extract(const char *page, pp_html_info *info)
{
    static char result[8192];
    cr_buf out;
    cr_err err;
    cr_buf_init(&out);
    int code = pp_html_extract(page, strlen(page), NULL, &out, info, &err);
    snprintf(result, sizeof result, "%s", code == CR_OK ? (out.data ? out.data : "") : err.msg);
    cr_buf_free(&out);
    return result;
}

TEST(density_finds_the_story_among_divs)
{
    pp_html_info info;
    const char *page = "<html><body>"
                       "<div id='top'><div><a href='/'>Home</a> <a href='/a'>Archive</a> <a "
                       "href='/c'>Contact</a></div></div>"
                       "<div id='wrap'>"
                       " <div id='left'><ul><li><a href='/1'>First link in a list</a></li><li><a "
                       "href='/2'>Second link in a list</a></li>"
                       "  <li><a href='/3'>Third link in the list</a></li></ul></div>"
                       " <div id='story'>"
                       "  <p>The harbour was quiet that morning, with only two boats leaving "
                       "before dawn, heavy with nets.</p>"
                       "  <p>By noon the wind had turned, and the fishermen, tired and cold, came "
                       "back early with little.</p>"
                       "  <p>Nobody in the village remembered a spring like it, although the "
                       "oldest said, laughing, they did.</p>"
                       " </div>"
                       "</div>"
                       "<div><a href='/t'>Terms</a> | <a href='/p'>Privacy</a></div>"
                       "</body></html>";
    const char *text = extract(page, &info);
    CHECK_STR_EQ(info.method, "density");
    CHECK(strncmp(text, "The harbour was quiet", 21) == 0);
    CHECK(strstr(text, "they did.") != NULL);
    CHECK(strstr(text, "link in a list") == NULL);
    CHECK(strstr(text, "Privacy") == NULL);
    CHECK(strstr(text, "Archive") == NULL);
}

TEST(density_keeps_every_section_of_the_article)
{
    pp_html_info info;
    const char *page =
        "<html><body><div class='wrap'>"
        "<div class='links'><a href='/1'>One link here</a><br><a href='/2'>Two link here</a><br>"
        "<a href='/3'>Three links here and more</a></div>"
        "<div class='content'>"
        "<div class='part'><h2>First part</h2><p>The first part of the article is a long paragraph "
        "about rivers and "
        "their banks, written so that it counts as good text.</p></div>"
        "<div class='part'><h2>Second part</h2><p>The second part continues the story with another "
        "long paragraph, "
        "this time about the hills around the valley.</p><pre>code  block\n  kept</pre></div>"
        "</div></div></body></html>";
    const char *text = extract(page, &info);
    CHECK_STR_EQ(info.method, "density");
    CHECK(strncmp(text, "First part\n\nThe first part", 26) == 0);
    CHECK(strstr(text, "Second part\n\nThe second part") != NULL);
    CHECK(strstr(text, "code  block\n  kept") != NULL);
    CHECK(strstr(text, "link here") == NULL);
}

TEST(hidden_elements_and_scripts_are_not_text)
{
    pp_html_info info;
    const char *page =
        "<html><body><main><p>Visible paragraph with enough words to count as the real text of "
        "it.</p>"
        "<p hidden>hidden attribute</p><div style='display: none'>display none</div>"
        "<span aria-hidden='true'>aria hidden</span><script>var s = 'script';</script>"
        "<noscript>enable javascript</noscript><template><p>template</p></template>"
        "<form><input value='x'><p>form text</p></form><!-- a comment --></main></body></html>";
    CHECK_STR_EQ(extract(page, &info),
                 "Visible paragraph with enough words to count as the real text of it.");
    CHECK_STR_EQ(info.method, "main");
}

TEST(title_falls_back_to_h1)
{
    pp_html_info info;
    extract("<html><body><article><h1>The  <em>real</em> title</h1><p>Body "
            "text.</p></article></body></html>",
            &info);
    CHECK_STR_EQ(info.title, "The real title");
    extract("<html><head><title> Tab &amp; title </title></head><body><p>x</p></body></html>",
            &info);
    CHECK_STR_EQ(info.title, "Tab & title");
}

TEST(an_empty_main_is_not_trusted)
{
    pp_html_info info;
    const char *page = "<html><body><main><form><input name='q'></form>Search</main>"
                       "<div><p>The article sits outside the main element on this page, which "
                       "happens on real sites.</p>"
                       "<p>It has several sentences, commas, and enough text to win the density "
                       "score easily.</p></div>"
                       "</body></html>";
    const char *text = extract(page, &info);
    CHECK_STR_EQ(info.method, "density");
    CHECK(strstr(text, "outside the main element") != NULL);
}

TEST(line_breaks_and_cells)
{
    pp_html_info info;
    CHECK_STR_EQ(extract("<main><p>one<br>two</p><table><tr><td>a</td><td>b</td></tr></table>"
                         "<dl><dt>term</dt><dd>meaning</dd></dl></main>",
                         &info),
                 "one\ntwo\n\na\nb\n\nterm\nmeaning");
}

/* What the streaming build (html.c builds its own tree from SAX events) must get right: text on
 * both sides of a dropped element joins as it did in the tree, entities split the parser's
 * text callbacks, a title longer than the field is cut on a character boundary, and the
 * element at the depth limit keeps every word below it. */
TEST(streaming_build_keeps_the_tree_rules)
{
    pp_html_info info;
    CHECK_STR_EQ(extract("<main><p>fore<script>x()</script>cast <b hidden>no</b>rain</p>"
                         "<p>salt &amp; pepper&nbsp;mill</p></main>",
                         &info),
                 "forecast rain\n\nsalt & pepper mill");
    char page[8192];
    size_t n = (size_t)snprintf(page, sizeof page, "<title>");
    for (int i = 0; i < 400; i++) /* 800 bytes of "é" */
        n += (size_t)snprintf(page + n, sizeof page - n, "\xC3\xA9");
    snprintf(page + n, sizeof page - n, "</title><main><p>x</p></main>");
    extract(page, &info);
    CHECK_INT_EQ(strlen(info.title), 510); /* 255 whole characters in the 512-byte field */
    CHECK((unsigned char)info.title[509] == 0xA9);

    static char deep[64 * 1024];
    size_t len = (size_t)snprintf(deep, sizeof deep, "<html><body><main>");
    for (int i = 0; i < 500; i++)
        len += (size_t)snprintf(deep + len, sizeof deep - len, "<div>");
    len += (size_t)snprintf(deep + len, sizeof deep - len, "deep <p>words</p> here");
    for (int i = 0; i < 500; i++)
        len += (size_t)snprintf(deep + len, sizeof deep - len, "</div>");
    snprintf(deep + len, sizeof deep - len, "<p>after</p></main></body></html>");
    CHECK_STR_EQ(extract(deep, &info), "deep words here\n\nafter");
}

int main(void)
{
    pp_html_init();
    RUN(density_finds_the_story_among_divs);
    RUN(density_keeps_every_section_of_the_article);
    RUN(hidden_elements_and_scripts_are_not_text);
    RUN(title_falls_back_to_h1);
    RUN(an_empty_main_is_not_trusted);
    RUN(line_breaks_and_cells);
    RUN(streaming_build_keeps_the_tree_rules);
    return check_summary();
}
