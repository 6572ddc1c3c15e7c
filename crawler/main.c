/* main.c — the crawler's command line: options, seeds, the summary and the exit code.
 * Everything else lives in the modules (crawl.c drives the crawl). Exit codes: 0 crawl
 * completed (some pages may have failed), 2 usage, 65 no valid seed, 66 seeds file missing,
 * 74 output or state not writable, 75 every seed unreachable (or interrupted, state busy). */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <libxml/parser.h>

#include "crawl.h"
#include "fs.h"
#include "log.h"
#include "parse.h"
#include "progress.h"
#include "seeds.h"
#include "summary.h"

#define DEFAULT_USER_AGENT "crystalline-crawler/" CR_VERSION
#define DEFAULT_ACCEPT "text/html,application/xhtml+xml,text/plain"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: crawler --seeds FILE|URL [--seeds ...] [URL...] --out DIR [options]\n"
        "\n"
        "Crawls from the seed URLs and saves each page as DIR/<id>.html (text/plain as\n"
        "DIR/<id>.txt) with DIR/<id>.meta.json beside it. Polite by default: robots.txt\n"
        "obeyed, one connection and 1s between requests per host. Killed, it continues\n"
        "where it was when run again; run again after it completed, it re-fetches\n"
        "conditionally (If-None-Match, If-Modified-Since).\n"
        "\n"
        "  --seeds FILE|URL          seed file (one URL a line, '#' comments) or a URL;\n"
        "                            repeatable; extra arguments are seeds too\n"
        "  -o, --out DIR             output folder (created)\n"
        "  --max-depth N             links followed from the seeds (default 5, -1: no limit)\n"
        "  --max-pages N             pages saved in this crawl, over every run (default 0: no "
        "limit)\n"
        "  --scope S                 host (the seeds' hosts, default), domain (their last two\n"
        "                            labels), prefix (below the seeds' folders) or a POSIX\n"
        "                            extended regular expression on the normalised URL\n"
        "  --concurrency N           transfers at once over all hosts (default 8)\n"
        "  --per-host-concurrency N  transfers at once to one host (default 1)\n"
        "  --writers N               threads writing pages to DIR (default 4)\n"
        "  --delay DURATION          between two requests to one host (default 1s; robots.txt\n"
        "                            Crawl-delay wins when longer)\n"
        "  --user-agent S            (default \"" DEFAULT_USER_AGENT "\"; its first word is\n"
        "                            the robots.txt product token)\n"
        "  --max-size SIZE           largest body kept; a larger transfer is aborted (default "
        "10MiB)\n"
        "  --timeout DURATION        of one transfer (default 30s)\n"
        "  --retries N               retries of a timeout, network error, 429 or 5xx (default 3)\n"
        "  --retry-delay DURATION    first backoff, doubled each retry (default 1s)\n"
        "  --max-retry-delay DURATION  longest backoff; a longer Retry-After gives the page up\n"
        "                            for this run (default 2m)\n"
        "  --accept TYPES            media types saved, comma-separated, '*' for all\n"
        "                            (default " DEFAULT_ACCEPT ")\n"
        "  --no-sitemaps             do not follow robots.txt Sitemap lines\n"
        "  --state DIR               frontier and seen-set (default DIR/.crawler-state, a dot\n"
        "                            folder that watchers of DIR ignore)\n"
        "  --warc FILE               also write WARC 1.1 records (request + response, one gzip\n"
        "                            member each) to FILE, appended across runs\n"
        "  --json                    print the summary as JSON on stdout\n"
        "  --progress                progress line on stderr even when not a terminal\n"
        "  -q, --quiet               errors only\n"
        "  -v, --verbose             more log (repeat for debug)\n"
        "  -h, --help                this help\n"
        "  -V, --version             print the version\n"
        "\n"
        "Exit status: 0 crawl completed (failed pages are listed), 2 usage, 65 no valid seed,\n"
        "66 seeds file missing, 74 output not writable, 75 every seed unreachable, state busy\n"
        "or interrupted (run again to continue).\n");
}

enum {
    OPT_SEEDS = 256,
    OPT_MAX_DEPTH,
    OPT_MAX_PAGES,
    OPT_SCOPE,
    OPT_CONCURRENCY,
    OPT_PER_HOST,
    OPT_DELAY,
    OPT_USER_AGENT,
    OPT_MAX_SIZE,
    OPT_TIMEOUT,
    OPT_RETRIES,
    OPT_RETRY_DELAY,
    OPT_MAX_RETRY_DELAY,
    OPT_ACCEPT,
    OPT_NO_SITEMAPS,
    OPT_STATE,
    OPT_WARC,
    OPT_JSON,
    OPT_PROGRESS,
    OPT_WRITERS
};

static void on_signal(int signo)
{
    (void)signo;
    crawl_request_stop();
}

int main(int argc, char **argv)
{
    static const struct option long_options[] = {
        {"seeds", required_argument, 0, OPT_SEEDS},
        {"out", required_argument, 0, 'o'},
        {"max-depth", required_argument, 0, OPT_MAX_DEPTH},
        {"max-pages", required_argument, 0, OPT_MAX_PAGES},
        {"scope", required_argument, 0, OPT_SCOPE},
        {"concurrency", required_argument, 0, OPT_CONCURRENCY},
        {"per-host-concurrency", required_argument, 0, OPT_PER_HOST},
        {"delay", required_argument, 0, OPT_DELAY},
        {"user-agent", required_argument, 0, OPT_USER_AGENT},
        {"max-size", required_argument, 0, OPT_MAX_SIZE},
        {"timeout", required_argument, 0, OPT_TIMEOUT},
        {"retries", required_argument, 0, OPT_RETRIES},
        {"retry-delay", required_argument, 0, OPT_RETRY_DELAY},
        {"max-retry-delay", required_argument, 0, OPT_MAX_RETRY_DELAY},
        {"accept", required_argument, 0, OPT_ACCEPT},
        {"no-sitemaps", no_argument, 0, OPT_NO_SITEMAPS},
        {"state", required_argument, 0, OPT_STATE},
        {"warc", required_argument, 0, OPT_WARC},
        {"json", no_argument, 0, OPT_JSON},
        {"writers", required_argument, 0, OPT_WRITERS},
        {"progress", no_argument, 0, OPT_PROGRESS},
        {"quiet", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    crawl_options opt = {
        .scope = "host",
        .accept_types = DEFAULT_ACCEPT,
        .user_agent = DEFAULT_USER_AGENT,
        .max_depth = 5,
        .max_pages = 0,
        .concurrency = 8,
        .writers = 4,
        .per_host_concurrency = 1,
        .delay_ms = 1000,
        .max_size = 10u << 20,
        .timeout_ms = 30000,
        .retries = 3,
        .retry_delay_ms = 1000,
        .max_retry_delay_ms = 120000,
        .follow_sitemaps = 1,
        .obey_robots = 1,
        .progress_mode = CR_PROGRESS_AUTO,
    };
    const char *seed_args[256];
    int seed_arg_count = 0, json = 0, quiet = 0, verbose = 0;
    cr_err err;
    cr_err_clear(&err);
    long value;
    int64_t ms;
    int rc, c;
    cr_log_init("crawler", CR_LOG_INFO);

    opterr = 0;
    int option_index = -1;
    while ((c = getopt_long(argc, argv, ":o:qvhV", long_options, &option_index)) != -1) {
        rc = CR_OK;
        switch (c) {
        case OPT_SEEDS:
            if (seed_arg_count == (int)(sizeof seed_args / sizeof seed_args[0]))
                rc = cr_fail(&err, CR_EUSAGE, "too many --seeds");
            else
                seed_args[seed_arg_count++] = optarg;
            break;
        case 'o':
            opt.out_dir = optarg;
            break;
        case OPT_MAX_DEPTH:
            if (!(rc = cr_parse_long(optarg, -1, 1000000, &value, &err)))
                opt.max_depth = (int)value;
            break;
        case OPT_MAX_PAGES:
            if (!(rc = cr_parse_long(optarg, 0, LONG_MAX, &value, &err)))
                opt.max_pages = value;
            break;
        case OPT_SCOPE:
            opt.scope = optarg;
            break;
        case OPT_CONCURRENCY:
            if (!(rc = cr_parse_long(optarg, 1, 1000, &value, &err)))
                opt.concurrency = (int)value;
            break;
        case OPT_WRITERS:
            if (!(rc = cr_parse_long(optarg, 1, 16, &value, &err)))
                opt.writers = (int)value;
            break;
        case OPT_PER_HOST:
            if (!(rc = cr_parse_long(optarg, 1, 1000, &value, &err)))
                opt.per_host_concurrency = (int)value;
            break;
        case OPT_DELAY:
            if (!(rc = cr_parse_duration_ms(optarg, &ms, &err)))
                opt.delay_ms = ms;
            break;
        case OPT_USER_AGENT:
            opt.user_agent = optarg;
            break;
        case OPT_MAX_SIZE:
            rc = cr_parse_size(optarg, &opt.max_size, &err);
            if (!rc && opt.max_size == 0)
                rc = cr_fail(&err, CR_EUSAGE, "%s is out of range (more than 0)", optarg);
            break;
        case OPT_TIMEOUT:
            if (!(rc = cr_parse_duration_ms(optarg, &ms, &err)))
                opt.timeout_ms = ms;
            if (!rc && (ms < 1 || ms > 86400000))
                rc = cr_fail(&err, CR_EUSAGE, "%s is out of range (1ms..1d)", optarg);
            break;
        case OPT_RETRIES:
            if (!(rc = cr_parse_long(optarg, 0, 100, &value, &err)))
                opt.retries = (int)value;
            break;
        case OPT_RETRY_DELAY:
            if (!(rc = cr_parse_duration_ms(optarg, &ms, &err)))
                opt.retry_delay_ms = ms;
            break;
        case OPT_MAX_RETRY_DELAY:
            if (!(rc = cr_parse_duration_ms(optarg, &ms, &err)))
                opt.max_retry_delay_ms = ms;
            break;
        case OPT_ACCEPT:
            opt.accept_types = optarg;
            break;
        case OPT_NO_SITEMAPS:
            opt.follow_sitemaps = 0;
            break;
        case OPT_STATE:
            opt.state_dir = optarg;
            break;
        case OPT_WARC:
            opt.warc_path = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_PROGRESS:
            opt.progress_mode = CR_PROGRESS_ALWAYS;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            usage(stdout);
            return CR_OK;
        case 'V':
            printf("crawler %s\n", CR_VERSION);
            return CR_OK;
        case ':': /* the ':' that starts the option string asks getopt to tell these apart */
            rc =
                cr_fail(&err, CR_EUSAGE, "%s needs a value (see crawler --help)", argv[optind - 1]);
            break;
        default:
            rc = cr_fail(&err, CR_EUSAGE, "unknown option %s (see crawler --help)",
                         argv[optind - 1]);
            break;
        }
        if (rc) {
            if (rc != CR_EUSAGE)
                err.code = CR_EUSAGE;
            /* A value that does not parse: say whose ("--concurrency: 0 is out of ...") */
            if (c > OPT_SEEDS && option_index >= 0)
                cr_err_context(&err, "--%s", long_options[option_index].name);
            cr_err_report("crawler", &err);
            return CR_EUSAGE;
        }
    }
    for (int i = optind; i < argc; i++) {
        if (seed_arg_count == (int)(sizeof seed_args / sizeof seed_args[0])) {
            cr_fail(&err, CR_EUSAGE, "too many seeds");
            return cr_err_report("crawler", &err);
        }
        seed_args[seed_arg_count++] = argv[i];
    }
    if (seed_arg_count == 0 || !opt.out_dir) {
        cr_fail(&err, CR_EUSAGE, "%s is required (see --help)",
                seed_arg_count ? "--out" : "--seeds");
        cr_err_report("crawler", &err);
        return CR_EUSAGE;
    }
    cr_log_verbosity(quiet, verbose);
    if (quiet)
        opt.progress_mode = CR_PROGRESS_NEVER;

    seed_list seeds = {0};
    for (int i = 0; i < seed_arg_count; i++) {
        if ((rc = seeds_add(&seeds, seed_args[i], &err))) {
            seeds_free(&seeds);
            return cr_err_report("crawler", &err);
        }
    }
    if (seeds.count == 0) {
        cr_fail(&err, CR_EDATA, "no valid seed URL in %s%s (%zu lines rejected)", seed_args[0],
                seed_arg_count > 1 ? " and the others" : "", seeds.rejected);
        seeds_free(&seeds);
        return cr_err_report("crawler", &err);
    }
    opt.seeds = seeds.urls;
    opt.seed_count = seeds.count;

    char state_dir[4096];
    if (!opt.state_dir) {
        if (cr_path_join(state_dir, sizeof state_dir, opt.out_dir, ".crawler-state", &err)) {
            seeds_free(&seeds);
            return cr_err_report("crawler", &err);
        }
        opt.state_dir = state_dir;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        cr_fail(&err, CR_EOTHER, "libcurl failed to initialise");
        seeds_free(&seeds);
        return cr_err_report("crawler", &err);
    }
    xmlInitParser();

    crawl_summary summary;
    rc = crawl_run(&opt, &summary, &err);
    int exit_code = rc;
    if (rc == CR_OK) {
        if (summary.interrupted) {
            cr_fail(&err, CR_ETEMP, "interrupted: state kept in %s, run again to continue",
                    opt.state_dir);
            exit_code = CR_ETEMP;
        } else if (summary.seeds_attempted > 0 &&
                   summary.seeds_network_failed == summary.seeds_attempted &&
                   summary.saved + summary.unchanged == 0) {
            cr_fail(&err, CR_ETEMP, "every seed was unreachable (%s%s)",
                    summary.failure_count ? summary.failures[0].error : "network errors",
                    summary.failure_count > 1 ? ", ..." : "");
            exit_code = CR_ETEMP;
        }
    }
    if (rc == CR_OK && !quiet)
        summary_print_text(&summary, stderr);
    if (json && rc == CR_OK)
        summary_print_json(&summary, opt.state_dir, exit_code, stdout);
    if (exit_code != CR_OK)
        cr_err_report("crawler", &err);
    crawl_summary_free(&summary);
    xmlCleanupParser();
    curl_global_cleanup();
    seeds_free(&seeds);
    return exit_code;
}
