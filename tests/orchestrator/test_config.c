/* test_config.c — pipeline.yaml loading: every level of a malformed config is refused with
 * file:line:column, defaults reach the stages, and the pieces of policy (retry delays, name
 * matching, argv expansion) do what the docs say. The daemon itself: test_*.sh. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "engine.h"
#include "runner.h"

static int parse(const char *text, pipeline_config *c, cr_err *err)
{
    return config_parse(c, "/tmp/p.yaml", text, strlen(text), err);
}

/* The config must be refused with a message starting "where" and containing "what". */
#define REFUSED(text, where, what)                                                                 \
    do {                                                                                           \
        pipeline_config c_;                                                                        \
        cr_err e_ = {0};                                                                           \
        CHECK_INT_EQ(parse(text, &c_, &e_), CR_EDATA);                                             \
        CHECK(strncmp(e_.msg, where, strlen(where)) == 0);                                         \
        if (strncmp(e_.msg, where, strlen(where)))                                                 \
            printf("# message: %s\n", e_.msg);                                                     \
        CHECK_CONTAINS(e_.msg, what);                                                              \
    } while (0)

static const char *good =
    "workspace: ./data\n"
    "defaults:\n"
    "  retry: {max_attempts: 4, delay: 1s, backoff: 2.0, max_delay: 60s, jitter: 0.2}\n"
    "  timeout: 30m\n"
    "  notify: {webhook: \"http://127.0.0.1:9/hook\"}\n"
    "stages:\n"
    "  - name: crawl\n"
    "    watch: inbox\n"
    "    match: [\"*.urls\"]\n"
    "    run: [crawler, --seeds, \"{input}\", --out, raw]\n"
    "  - name: tokenize\n"
    "    watch: [clean, more]\n"
    "    match: [\"*.txt\"]\n"
    "    batch: {max_files: 500, settle: 2s}\n"
    "    retry: {max_attempts: 2}\n"
    "    run: [tokenizer, encode, --out, tokens, \"{inputs}\"]\n"
    "  - name: train\n"
    "    watch: tokens\n"
    "    settle: 10s\n"
    "    concurrency: 1\n"
    "    timeout: 2h\n"
    "    notify: {on_failure: [echo, \"{stage}\", \"{exit}\"]}\n"
    "    run: [./tools/trainer, train, --data, tokens]\n";

TEST(loads_the_spec_shape)
{
    pipeline_config c;
    cr_err err = {0};
    CHECK_INT_EQ(parse(good, &c, &err), CR_OK);
    if (err.msg[0])
        printf("# %s\n", err.msg);
    CHECK_STR_EQ(c.workspace, "/tmp/data");
    CHECK_INT_EQ(c.stage_count, 3);
    if (c.stage_count != 3)
        return;
    const stage_config *crawl = &c.stages[0], *tok = &c.stages[1], *train = &c.stages[2];
    CHECK_INT_EQ(crawl->input_mode, INPUT_ONE);
    CHECK_INT_EQ(crawl->retry.max_attempts, 4);
    CHECK_INT_EQ(crawl->retry.delay_ms, 1000);
    CHECK_INT_EQ(crawl->retry.max_delay_ms, 60000);
    CHECK_NEAR(crawl->retry.jitter, 0.2, 1e-9);
    CHECK_INT_EQ(crawl->timeout_ms, 30 * 60 * 1000);
    CHECK_STR_EQ(crawl->notify.webhook, "http://127.0.0.1:9/hook");
    CHECK_INT_EQ(tok->input_mode, INPUT_MANY);
    CHECK_INT_EQ(tok->batch_max_files, 500);
    CHECK_INT_EQ(tok->settle_ms, 2000);
    CHECK_INT_EQ(tok->watch_count, 2);
    CHECK_INT_EQ(tok->retry.max_attempts, 2); /* the stage's key over the defaults */
    CHECK_INT_EQ(tok->retry.delay_ms, 1000);  /* the others from the defaults */
    CHECK_INT_EQ(train->input_mode, INPUT_NONE);
    CHECK_INT_EQ(train->settle_ms, 10000);
    CHECK_INT_EQ(train->concurrency, 1);
    CHECK_INT_EQ(train->timeout_ms, 2 * 3600 * 1000);
    CHECK_STR_EQ(train->argv[0], "/tmp/tools/trainer"); /* relative to the config's folder */
    CHECK(train->notify.webhook == NULL);               /* a stage's notify replaces */
    CHECK_INT_EQ(train->notify.on_failure_count, 3);
    CHECK_STR_EQ(c.stages[0].match[0], "*.urls");
    config_free(&c);
}

TEST(refuses_bad_yaml_with_position)
{
    REFUSED("stages:\n  - name: a\n    run: [x, \"{input}\"\n", "/tmp/p.yaml:", "");
    REFUSED("workspace: a\n  bad: indentation\n", "/tmp/p.yaml:2:", "");
    REFUSED("", "/tmp/p.yaml:1:1:", "empty");
}

TEST(refuses_each_level)
{
    /* top level */
    REFUSED("workspace: a\nstagez: []\n", "/tmp/p.yaml:2:1:", "unknown key 'stagez'");
    REFUSED("workspace: a\n", "/tmp/p.yaml:1:1:", "missing key 'stages'");
    REFUSED("stages: {a: 1}\n", "/tmp/p.yaml:1:9:", "expected a list of stages");
    REFUSED("workspace: [a]\nstages: []\n",
            "/tmp/p.yaml:1:12:", "workspace: expected a single value");
    REFUSED("- a\n- b\n", "/tmp/p.yaml:1:1:", "expected a mapping");
    /* defaults */
    REFUSED("defaults:\n  timeout: soon\nstages: []\n", "/tmp/p.yaml:2:12:", "not a duration");
    REFUSED("defaults:\n  retries: {}\nstages: []\n",
            "/tmp/p.yaml:2:3:", "unknown key 'retries' in defaults");
    REFUSED("defaults:\n  retry: {max_attempts: 0}\nstages: []\n",
            "/tmp/p.yaml:2:25:", "out of range");
    REFUSED("defaults:\n  retry: {jitter: 1.5}\nstages: []\n", "/tmp/p.yaml:2:19:", "out of range");
    REFUSED("defaults:\n  retry: {delay: 1s, dealy: 2s}\nstages: []\n",
            "/tmp/p.yaml:2:22:", "unknown key 'dealy' in retry");
    REFUSED("defaults:\n  notify: {webhook: ftp://x}\nstages: []\n",
            "/tmp/p.yaml:2:21:", "not an http");
    /* stages */
    REFUSED("stages:\n  - name: a\n    watch: in\n    run: crawler\n",
            "/tmp/p.yaml:4:10:", "run: expected a list of strings");
    REFUSED("stages:\n  - name: a\n    watch: in\n    run: [x]\n    colour: red\n",
            "/tmp/p.yaml:5:5:", "unknown key 'colour' in stage");
    REFUSED("stages:\n  - watch: in\n    run: [x]\n", "/tmp/p.yaml:2:5:", "missing key 'name'");
    REFUSED("stages:\n  - name: a\n    run: [x]\n", "/tmp/p.yaml:2:5:", "missing key 'watch'");
    REFUSED("stages:\n  - name: a b\n    watch: in\n    run: [x]\n",
            "/tmp/p.yaml:2:11:", "not a stage name");
    REFUSED("stages:\n  - {name: a, watch: in, run: [x]}\n  - {name: a, watch: in, run: [x]}\n",
            "/tmp/p.yaml:3:5:", "defined twice");
    REFUSED("stages:\n  - name: a\n    watch: in\n    run: [x, \"--in={inputs}\"]\n",
            "/tmp/p.yaml:4:14:", "argument of its own");
    REFUSED("stages:\n  - name: a\n    watch: in\n    run: [x, \"{file}\"]\n",
            "/tmp/p.yaml:4:14:", "unknown placeholder '{file}'");
    REFUSED("stages:\n  - name: a\n    watch: in\n    batch: {max_files: 5}\n    run: [x, "
            "\"{input}\"]\n",
            "/tmp/p.yaml:4:12:", "a batch needs {inputs}");
    REFUSED("stages:\n  - name: a\n    watch: in\n    batch: {max_files: many}\n    run: [x, "
            "\"{inputs}\"]\n",
            "/tmp/p.yaml:4:24:", "not a whole number");
    REFUSED("stages:\n  - name: a\n    watch: in\n    settle: -1s\n    run: [x]\n",
            "/tmp/p.yaml:4:13:", "not a duration");
    REFUSED("stages:\n  - name: a\n    watch: in\n    watch: out\n    run: [x]\n",
            "/tmp/p.yaml:4:5:", "given twice");
    REFUSED("stages:\n  - name: a\n    watch:\n    run: [x]\n",
            "/tmp/p.yaml:3:11:", "missing value");
    REFUSED("stages:\n  - name: a\n    watch: in\n    notify: {on_failure: mail}\n    run: [x]\n",
            "/tmp/p.yaml:4:26:", "expected a list");
}

TEST(retry_delays_follow_the_policy)
{
    retry_policy p = {
        .max_attempts = 5, .delay_ms = 100, .backoff = 2.0, .max_delay_ms = 500, .jitter = 0.0};
    CHECK_INT_EQ(retry_delay_ms(&p, 1, 0.5), 100);
    CHECK_INT_EQ(retry_delay_ms(&p, 2, 0.5), 200);
    CHECK_INT_EQ(retry_delay_ms(&p, 3, 0.5), 400);
    CHECK_INT_EQ(retry_delay_ms(&p, 4, 0.5), 500); /* max_delay */
    p.jitter = 0.2;
    CHECK_INT_EQ(retry_delay_ms(&p, 1, 0.0), 100); /* jitter never shortens */
    CHECK_INT_EQ(retry_delay_ms(&p, 1, 0.5), 110);
    CHECK(retry_delay_ms(&p, 1, 0.999) <= 120);
}

TEST(names_the_watcher_takes)
{
    char *patterns[] = {"*.html", "*.txt"};
    CHECK(name_matches("a.html", patterns, 2));
    CHECK(name_matches("b.txt", patterns, 2));
    CHECK(!name_matches("b.md", patterns, 2));
    CHECK(!name_matches(".hidden.txt", patterns, 2));
    CHECK(!name_matches("a.txt.tmp.1234", patterns, 2));
    CHECK(!name_matches("a.tmp.1234.txt", patterns, 2));
}

TEST(argv_expansion_without_a_shell)
{
    char *tmpl[] = {"tok", "--stage={stage}", "{inputs}", "-w", "{workspace}/x", "{literal}"};
    char *inputs[] = {"a b.txt", "c;rm -rf.txt"};
    argv_vars vars = {.workspace = "/ws", .stage = "tokenize", .inputs = inputs, .input_count = 2};
    char **argv;
    CHECK_INT_EQ(argv_expand(tmpl, 6, &vars, &argv, NULL), CR_OK);
    CHECK_STR_EQ(argv[0], "tok");
    CHECK_STR_EQ(argv[1], "--stage=tokenize");
    CHECK_STR_EQ(argv[2], "a b.txt"); /* one element each, spaces and all */
    CHECK_STR_EQ(argv[3], "c;rm -rf.txt");
    CHECK_STR_EQ(argv[4], "-w");
    CHECK_STR_EQ(argv[5], "/ws/x");
    CHECK_STR_EQ(argv[6], "{literal}");
    CHECK(argv[7] == NULL);
    argv_free(argv);
    char *one[] = {"p", "{input}.out"};
    vars.input_count = 1;
    CHECK_INT_EQ(argv_expand(one, 2, &vars, &argv, NULL), CR_OK);
    CHECK_STR_EQ(argv[1], "a b.txt.out");
    argv_free(argv);
}

int main(void)
{
    RUN(loads_the_spec_shape);
    RUN(refuses_bad_yaml_with_position);
    RUN(refuses_each_level);
    RUN(retry_delays_follow_the_policy);
    RUN(names_the_watcher_takes);
    RUN(argv_expansion_without_a_shell);
    return check_summary();
}
