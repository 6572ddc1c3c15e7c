/* test_filters.c — each quality rule rejects what it names and passes ordinary prose. */
#include "check.h"
#include "filters.h"

static int verdict(const char *text, int is_code)
{
    pp_filters f;
    pp_filters_default(&f);
    pp_measures m;
    pp_measure(text, strlen(text), is_code, &m);
    return pp_filters_check(&f, &m, is_code);
}

/* n lines of ordinary prose (8 words each, all different) */
static const char *prose(int lines, const char *each_line_prefix, const char *each_line_suffix)
{
    static char text[16384];
    size_t used = 0;
    for (int i = 0; i < lines; i++)
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 "%sThe river number %d flows quietly past old stone houses%s\n",
                                 each_line_prefix, i, each_line_suffix);
    return text;
}

TEST(ordinary_prose_passes)
{
    CHECK_INT_EQ(verdict(prose(10, "", "."), 0), -1);
}

TEST(each_rule_rejects)
{
    CHECK_INT_EQ(verdict("Far too short to be a document.\n", 0), PP_F_MIN_WORDS);
    CHECK_INT_EQ(verdict(prose(10, "", " ... ..."), 0), PP_F_MAX_SYMBOL_RATIO); /* 2 per 10 words */
    CHECK_INT_EQ(verdict(prose(10, "- ", "."), 0), PP_F_MAX_BULLET_LINES);
    char dup[8192];
    snprintf(dup, sizeof dup, "%s%s", prose(10, "", "."), prose(10, "", "."));
    CHECK_INT_EQ(verdict(dup, 0), PP_F_MAX_DUPLICATE_LINES);
    char shortwords[4096] = "";
    for (int i = 0; i < 60; i++)
        strcat(shortwords, "a b ");
    CHECK_INT_EQ(verdict(shortwords, 0), PP_F_MIN_MEAN_WORD_LENGTH);
    char longwords[8192] = "";
    for (int i = 0; i < 60; i++)
        strcat(longwords, "incomprehensibilities ");
    CHECK_INT_EQ(verdict(longwords, 0), PP_F_MAX_MEAN_WORD_LENGTH);
}

TEST(ellipsis_lines)
{
    /* every third line ends with an ellipsis, and the '...' stays under 0.1 per word */
    char text[16384] = "";
    for (int i = 0; i < 12; i++) {
        char line[256];
        snprintf(line, sizeof line, "Line %d has quite a few ordinary words in it today%s\n", i,
                 i % 2 ? "\xE2\x80\xA6" : ".");
        strcat(text, line);
    }
    pp_measures m;
    pp_measure(text, strlen(text), 0, &m);
    CHECK_NEAR(m.value[PP_F_MAX_ELLIPSIS_LINES], 0.5, 1e-9);
    CHECK_INT_EQ(verdict(text, 0), PP_F_MAX_ELLIPSIS_LINES);
}

TEST(cjk_counts_characters_as_words)
{
    /* 60 kanji/kana, no spaces: 60 words, and no mean-word-length verdict */
    const char *ja = "吾輩は猫である。名前はまだ無い。どこで生れたかとんと見当がつかぬ。何でも薄暗"
                     "いじめじめした所でニャーニャー泣いていた事だけは記憶している。\n";
    pp_measures m;
    pp_measure(ja, strlen(ja), 0, &m);
    CHECK(m.words >= 50);
    CHECK_INT_EQ(m.measured[PP_F_MIN_MEAN_WORD_LENGTH], 0);
    CHECK_INT_EQ(verdict(ja, 0), -1);
}

TEST(code_rules)
{
    CHECK_INT_EQ(verdict("int main(void) { return 0; }\n", 1), -1); /* min_words is a prose rule */
    char minified[3000];
    memset(minified, 'x', sizeof minified - 2);
    minified[sizeof minified - 2] = '\n';
    minified[sizeof minified - 1] = '\0';
    CHECK_INT_EQ(verdict(minified, 1), PP_F_CODE_MAX_LINE_LENGTH);
    CHECK_INT_EQ(verdict("0x00, 0x01, 0x02, 0x03, 0x04, 0x05,\n12, 34, 56, 78, 90,\n", 1),
                 PP_F_CODE_MIN_ALPHA);
}

TEST(filter_files)
{
    char *dir = check_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/f.conf", dir);
    FILE *f = fopen(path, "w");
    fputs("# comment\nmin_words = 3\nmax_bullet_lines off\n\n", f);
    fclose(f);
    pp_filters filters;
    cr_err err;
    CHECK_INT_EQ(pp_filters_load(&filters, path, &err), CR_OK);
    CHECK_NEAR(filters.limit[PP_F_MIN_WORDS], 3, 1e-9);
    CHECK_INT_EQ(filters.enabled[PP_F_MAX_BULLET_LINES], 0);
    CHECK_INT_EQ(filters.enabled[PP_F_MAX_SYMBOL_RATIO], 1);
    f = fopen(path, "w");
    fputs("min_words lots\n", f);
    fclose(f);
    CHECK_INT_EQ(pp_filters_load(&filters, path, &err), CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "f.conf:1: bad value");
    check_rm_rf(dir);
}

int main(void)
{
    RUN(ordinary_prose_passes);
    RUN(each_rule_rejects);
    RUN(ellipsis_lines);
    RUN(cjk_counts_characters_as_words);
    RUN(code_rules);
    RUN(filter_files);
    return check_summary();
}
