/* Unit tests of lib/cli.c (subcommand tables, per-command options, their refusals),
 * lib/utf8.c (the one validator), cr_grow (lib/buf.c) and cr_mix64 (lib/hash.h). */
#include "buf.h"
#include "check.h"
#include "cli.h"
#include "hash.h"
#include "utf8.h"

enum { ONE = 1 << 0, TWO = 1 << 1 };
enum { OPT_SPECIAL = 1 };

typedef struct args {
    const char *out;
    int threads, quiet, verbose;
    long steps;
    double rate;
} args;

#define A args
static const cr_option rows[] = {
    {"out", 'o', ONE | TWO, CR_TEXT(A, out)},
    {"threads", 0, ONE, CR_INT(A, threads, 1, 64)},
    {"steps", 0, TWO, CR_LONG(A, steps, 0, 1000)},
    {"rate", 0, TWO, CR_DOUBLE(A, rate, 0, 10)},
    {"special", 0, ONE, CR_CALL(OPT_SPECIAL, 1)},
    CR_COMMON_OPTIONS(A, quiet, verbose),
    {NULL, 0, 0, CR_CALL(0, 0)},
};
#undef A

static int run_nothing(void *values, cr_err *err)
{
    (void)values;
    (void)err;
    return 0;
}

static const cr_command commands[] = {
    {"one", ONE, run_nothing}, {"two", TWO, run_nothing}, {NULL, 0, NULL}};

/* Parses words (after the command name) for `command`; returns the last cr_cli_next value,
 * the message in err, the first operand index in *operand. */
static int parse(const char *command, unsigned bit, char **words, int count, args *a, cr_err *err,
                 int *operand)
{
    char *argv[16] = {(char *)command};
    for (int i = 0; i < count; i++)
        argv[i + 1] = words[i];
    memset(a, 0, sizeof *a);
    cr_err_clear(err);
    cr_cli cli;
    cr_cli_init(&cli, "prog", command, bit, rows, a, count + 1, argv);
    int id;
    while ((id = cr_cli_next(&cli, err)) > 0 && id != CR_CLI_HELP)
        if (id == OPT_SPECIAL)
            CHECK_STR_EQ(cli.arg, "x");
    if (operand)
        *operand = cr_cli_operand_index(&cli);
    return id;
}

TEST(commands_are_found_by_name)
{
    CHECK(cr_command_find(commands, "one") == &commands[0]);
    CHECK(cr_command_find(commands, "two") == &commands[1]);
    CHECK(cr_command_find(commands, "three") == NULL);
    CHECK(cr_command_find(commands, NULL) == NULL);
    CHECK_INT_EQ(cr_cli_info_id("--help"), CR_CLI_HELP);
    CHECK_INT_EQ(cr_cli_info_id("-V"), CR_CLI_VERSION);
    CHECK_INT_EQ(cr_cli_info_id("--verbose"), 0);
}

TEST(typed_options_are_stored)
{
    char *words[] = {"-q", "--threads", "8", "-o", "dir", "-vv", "input", "--special", "x"};
    args a;
    cr_err err;
    int operand;
    CHECK_INT_EQ(parse("one", ONE, words, 9, &a, &err, &operand), 0);
    CHECK_INT_EQ(err.code, CR_OK);
    CHECK_INT_EQ(a.threads, 8);
    CHECK_STR_EQ(a.out, "dir");
    CHECK_INT_EQ(a.quiet, 1);
    CHECK_INT_EQ(a.verbose, 2);
    CHECK_INT_EQ(operand, 9); /* getopt moved the operand "input" after the options */
    char *more[] = {"--out=x", "--steps", "12", "--rate=0.5"};
    CHECK_INT_EQ(parse("two", TWO, more, 4, &a, &err, NULL), 0);
    CHECK_STR_EQ(a.out, "x");
    CHECK_INT_EQ(a.steps, 12);
    CHECK_NEAR(a.rate, 0.5, 0);
}

TEST(an_option_of_another_command_is_refused)
{
    char *words[] = {"--steps", "3"};
    args a;
    cr_err err;
    CHECK(parse("one", ONE, words, 2, &a, &err, NULL) < 0);
    CHECK_INT_EQ(err.code, CR_EUSAGE);
    CHECK_STR_EQ(err.msg, "one does not take --steps (see prog --help)");
    char *special[] = {"--special", "x"};
    CHECK(parse("two", TWO, special, 2, &a, &err, NULL) < 0);
    CHECK_STR_EQ(err.msg, "two does not take --special (see prog --help)");
}

TEST(unknown_and_malformed_options_say_what_is_wrong)
{
    args a;
    cr_err err;
    char *unknown[] = {"--frobnicate"};
    CHECK(parse("one", ONE, unknown, 1, &a, &err, NULL) < 0);
    CHECK_STR_EQ(err.msg, "unknown option --frobnicate (see prog --help)");
    char *unknown_short[] = {"-x"};
    CHECK(parse("one", ONE, unknown_short, 1, &a, &err, NULL) < 0);
    CHECK_STR_EQ(err.msg, "unknown option -x (see prog --help)");
    char *missing[] = {"--threads"};
    CHECK(parse("one", ONE, missing, 1, &a, &err, NULL) < 0);
    CHECK_STR_EQ(err.msg, "--threads needs a value (see prog --help)");
    char *range[] = {"--threads", "0"};
    CHECK(parse("one", ONE, range, 2, &a, &err, NULL) < 0);
    CHECK_STR_EQ(err.msg, "--threads: 0 is out of range (1..64)");
    char *flag_value[] = {"--quiet=1"};
    CHECK(parse("one", ONE, flag_value, 1, &a, &err, NULL) < 0);
    CHECK_STR_EQ(err.msg, "--quiet takes no value (see prog --help)");
    char *not_number[] = {"--rate", "fast"};
    CHECK(parse("two", TWO, not_number, 2, &a, &err, NULL) < 0);
    CHECK_INT_EQ(err.code, CR_EUSAGE);
    CHECK_CONTAINS(err.msg, "--rate: ");
}

TEST(help_is_handed_back_and_parsing_restarts)
{
    args a;
    cr_err err;
    char *words[] = {"--threads", "2", "-h"};
    CHECK_INT_EQ(parse("one", ONE, words, 3, &a, &err, NULL), CR_CLI_HELP);
    /* a second parse starts from the beginning (getopt's state is reset) */
    char *again[] = {"--threads", "3"};
    CHECK_INT_EQ(parse("one", ONE, again, 2, &a, &err, NULL), 0);
    CHECK_INT_EQ(a.threads, 3);
}

TEST(utf8_sequences)
{
    const unsigned char ascii[] = "a", two[] = "\xC3\xA9", three[] = "\xE2\x82\xAC",
                        four[] = "\xF0\x9F\x98\x80";
    CHECK_INT_EQ(cr_utf8_sequence(ascii, 1), 1);
    CHECK_INT_EQ(cr_utf8_sequence(two, 2), 2);
    CHECK_INT_EQ(cr_utf8_sequence(three, 3), 3);
    CHECK_INT_EQ(cr_utf8_sequence(four, 4), 4);
    CHECK_INT_EQ(cr_utf8_sequence(four, 3), 0);                                      /* cut short */
    CHECK_INT_EQ(cr_utf8_sequence((const unsigned char *)"\xC0\xAF", 2), 0);         /* overlong */
    CHECK_INT_EQ(cr_utf8_sequence((const unsigned char *)"\xE0\x80\xAF", 3), 0);     /* overlong */
    CHECK_INT_EQ(cr_utf8_sequence((const unsigned char *)"\xED\xA0\x80", 3), 0);     /* surrogate */
    CHECK_INT_EQ(cr_utf8_sequence((const unsigned char *)"\xF4\x90\x80\x80", 4), 0); /* > 10FFFF */
    CHECK_INT_EQ(cr_utf8_sequence((const unsigned char *)"\x80", 1), 0); /* a lone continuation */
    CHECK(cr_utf8_valid("h\xC3\xA9llo \xE2\x82\xAC", 10));
    CHECK(cr_utf8_valid("", 0));
    CHECK(!cr_utf8_valid("ab\xFF", 3));
    CHECK(!cr_utf8_valid("ab\xC3", 3));
}

TEST(grow_doubles_and_keeps_the_items)
{
    int *items = NULL;
    size_t capacity = 0;
    for (int i = 0; i < 1000; i++) {
        CHECK_INT_EQ(cr_grow(&items, &capacity, (size_t)i + 1, sizeof *items), 0);
        items[i] = i;
    }
    CHECK_INT_EQ(capacity, 1024); /* 16, doubled six times */
    int intact = 1;
    for (int i = 0; i < 1000; i++)
        intact &= items[i] == i;
    CHECK(intact);
    CHECK_INT_EQ(cr_grow(&items, &capacity, 5000, sizeof *items), 0); /* more than twice */
    CHECK_INT_EQ(capacity, 8192);
    int *before = items;
    CHECK_INT_EQ(cr_grow(&items, &capacity, (size_t)-1 / 2, sizeof *items), -1); /* overflow */
    CHECK(items == before);
    CHECK_INT_EQ(capacity, 8192);
    free(items);
}

TEST(mix64_is_murmur3_fmix64)
{
    CHECK(cr_mix64(0) == 0);
    CHECK(cr_mix64(1) == 0xB456BCFC34C2CB2CULL);
    CHECK(cr_mix64(1) != cr_mix64(2));
}

int main(void)
{
    RUN(commands_are_found_by_name);
    RUN(typed_options_are_stored);
    RUN(an_option_of_another_command_is_refused);
    RUN(unknown_and_malformed_options_say_what_is_wrong);
    RUN(help_is_handed_back_and_parsing_restarts);
    RUN(utf8_sequences);
    RUN(grow_doubles_and_keeps_the_items);
    RUN(mix64_is_murmur3_fmix64);
    return check_summary();
}
