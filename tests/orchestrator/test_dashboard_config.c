/* test_dashboard_config.c — pipeline.yaml's `dashboard:` entry: absent means no dashboard, the
 * listen address is parsed and classified (loopback or not), a non-loopback address needs
 * allow_remote, and every mistake names file:line:column. The server: test_dashboard.sh. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "config.h"

static const char *stages = "stages:\n"
                            "  - name: copy\n"
                            "    watch: inbox\n"
                            "    run: [cp, \"{input}\", out]\n";

/* Parses "workspace: w\n" + entry + stages. */
static int parse_with(const char *entry, pipeline_config *c, cr_err *err)
{
    char text[2048];
    snprintf(text, sizeof text, "workspace: w\n%s%s", entry, stages);
    return config_parse(c, "/tmp/p.yaml", text, strlen(text), err);
}

static void refused(const char *entry, const char *where, const char *what)
{
    pipeline_config c;
    cr_err err = {0};
    CHECK_INT_EQ(parse_with(entry, &c, &err), CR_EDATA);
    CHECK(strncmp(err.msg, where, strlen(where)) == 0);
    CHECK_CONTAINS(err.msg, what);
    if (strncmp(err.msg, where, strlen(where)) || !strstr(err.msg, what))
        printf("# message: %s\n", err.msg);
}

TEST(absent_means_off)
{
    pipeline_config c;
    cr_err err = {0};
    CHECK_INT_EQ(parse_with("", &c, &err), CR_OK);
    CHECK(c.dashboard.listen == NULL);
    config_free(&c);
}

TEST(listen_addresses)
{
    static const struct {
        const char *entry, *address;
        int port, loopback;
    } cases[] = {
        {"dashboard: {listen: 127.0.0.1:8080}\n", "127.0.0.1", 8080, 1},
        {"dashboard: {listen: \"localhost:0\"}\n", "127.0.0.1", 0, 1},
        {"dashboard: {listen: \"127.1.2.3:65535\"}\n", "127.1.2.3", 65535, 1},
        {"dashboard: {listen: \"[::1]:9000\"}\n", "::1", 9000, 1},
        {"dashboard: {listen: \"0.0.0.0:80\", allow_remote: true}\n", "0.0.0.0", 80, 0},
        {"dashboard: {listen: \"[::]:80\", allow_remote: true, hosts: [box.lan, Box]}\n", "::", 80,
         0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pipeline_config c;
        cr_err err = {0};
        CHECK_INT_EQ(parse_with(cases[k].entry, &c, &err), CR_OK);
        if (err.msg[0])
            printf("# %s: %s\n", cases[k].entry, err.msg);
        if (!c.dashboard.listen)
            continue;
        CHECK_STR_EQ(c.dashboard.address, cases[k].address);
        CHECK_INT_EQ(c.dashboard.port, cases[k].port);
        CHECK_INT_EQ(c.dashboard.loopback, cases[k].loopback);
        config_free(&c);
    }
    pipeline_config c;
    cr_err err = {0};
    CHECK_INT_EQ(parse_with(cases[5].entry, &c, &err), CR_OK);
    CHECK_INT_EQ(c.dashboard.host_count, 2);
    if (c.dashboard.host_count == 2)
        CHECK_STR_EQ(c.dashboard.hosts[1], "Box");
    CHECK_INT_EQ(c.dashboard.allow_remote, 1);
    config_free(&c);
}

TEST(mistakes_are_refused_with_their_position)
{
    refused("dashboard: {listen: \"10.0.0.7:8080\"}\n",
            "/tmp/p.yaml:2:12:", "10.0.0.7 is not a loopback address");
    refused("dashboard: {listen: \"10.0.0.7:8080\", allow_remote: false}\n",
            "/tmp/p.yaml:2:12:", "set allow_remote: true");
    refused("dashboard: {listen: \"127.0.0.1\"}\n", "/tmp/p.yaml:2:21:", "is not ADDRESS:PORT");
    refused("dashboard: {listen: \"127.0.0.1:70000\"}\n",
            "/tmp/p.yaml:2:21:", "dashboard.listen: port");
    refused("dashboard: {listen: \"example.org:80\"}\n",
            "/tmp/p.yaml:2:21:", "'example.org' is not a numeric IPv4 or IPv6 address");
    refused("dashboard: {listen: \"[::1]:\"}\n", "/tmp/p.yaml:2:21:", "dashboard.listen: port");
    refused("dashboard: {allow_remote: true}\n", "/tmp/p.yaml:2:12:", "missing key 'listen'");
    refused("dashboard: {listen: \"127.0.0.1:1\", allow_remote: yes}\n",
            "/tmp/p.yaml:2:50:", "expected true or false");
    refused("dashboard: {listen: \"127.0.0.1:1\", hosts: {a: b}}\n",
            "/tmp/p.yaml:2:43:", "dashboard.hosts: expected a list of strings");
    refused("dashboard: {listen: \"127.0.0.1:1\", port: 3}\n",
            "/tmp/p.yaml:2:36:", "unknown key 'port' in dashboard");
    refused("dashboard: 8080\n", "/tmp/p.yaml:2:12:", "dashboard: expected a mapping");
    refused("dashboard: {listen: \"127.0.0.1:1\", listen: \"127.0.0.1:2\"}\n",
            "/tmp/p.yaml:2:36:", "key 'listen' given twice");
}

int main(void)
{
    RUN(absent_means_off);
    RUN(listen_addresses);
    RUN(mistakes_are_refused_with_their_position);
    return check_summary();
}
