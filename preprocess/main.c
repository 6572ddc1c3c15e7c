/* main.c — preprocess's command line: options, --help, exit codes. Everything else lives in
 * run.c (the run), document.c (one file) and the modules they call. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "blocks.h"
#include "filters.h"
#include "log.h"
#include "parse.h"
#include "progress.h"
#include "run.h"
#include "status.h"

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: preprocess INPUT... --out DIR [options]\n"
        "\n"
        "Turns web pages, text, Markdown, source files and documents (PDF, DOCX, ODT, EPUB)\n"
        "into clean training documents:\n"
        "DIR/<id>.txt (UTF-8, NFC, LF, paragraphs separated by a blank line) and\n"
        "DIR/<id>.meta.json (source, url, title, charset, filters passed), both written\n"
        "atomically. INPUT is a file or a folder (walked recursively; dot files skipped).\n"
        "Kinds by extension: .html .htm .xhtml (a crawled raw/<id>.html is read with its\n"
        "raw/<id>.meta.json for url and charset), .txt, .md, and source files (.c .h .py .js\n"
        ".go .rs .java .sh ...), .pdf .docx .odt .epub (known by their bytes whatever their\n"
        "name; encrypted and image-only PDFs are rejected, a PDF is cut after 2000 pages, a\n"
        "ZIP bomb is refused). A file named on the command line with another extension is\n"
        "read as text; in a folder such files are skipped and counted.\n"
        "<id> is the hash of the crawled URL, else of the input's absolute path, so running\n"
        "again on the same input rewrites the same files.\n"
        "\n"
        "options:\n"
        "  -o, --out DIR          output folder (created if missing); required\n"
        "      --dedup-db PATH    the persistent dedup index (SQLite, WAL), shared by runs and\n"
        "                         by concurrent processes (default: DIR/.dedup.sqlite, a dot\n"
        "                         file the pipeline's watchers ignore)\n"
        "      --no-dedup         no duplicate check at all\n"
        "      --near-dup T       near-duplicate Jaccard threshold in (0, 1] over word 5-gram\n"
        "                         shingles, MinHash 128 + LSH 16x8 (default 0.8; below ~0.6\n"
        "                         some pairs are missed by the banding); \"off\": exact only\n"
        "      --block-dedup N    repeated blocks (licence headers, banners): a block that N\n"
        "                         earlier documents have is cut from the later ones (default\n"
        "                         1: one copy kept); \"off\": not cut. Their index is the dedup\n"
        "                         index's path + \"-blocks\"\n"
        "      --block-min-bytes B  the smallest block: runs of whole lines of at least B\n"
        "                         bytes (default 200, or what the index was made with)\n"
        "      --filters F        default | none | FILE: quality filters; FILE holds lines\n"
        "                         \"name value\" or \"name off\" over the defaults:\n");
    for (int i = 0; i < PP_F_COUNT; i++)
        fprintf(out, "                           %-22s %-6g %s\n", pp_filter_defs[i].name,
                pp_filter_defs[i].default_limit, pp_filter_defs[i].help);
    fprintf(out,
            "      --min-words N      shorthand for min_words N (0 turns it off)\n"
            "      --threads N        files processed in parallel (default: the cores, up to 64)\n"
            "      --max-size SIZE    larger inputs are refused as bad data (default 256MiB)\n"
            "      --json             the summary and every outcome as JSON on stdout\n"
            "      --progress         a progress line on stderr even when it is not a terminal\n"
            "  -q, --quiet            errors only: no progress, no log, no summary\n"
            "  -v, --verbose          more log lines (-v: one per kept document)\n"
            "  -h, --help             this help\n"
            "  -V, --version          print the version\n"
            "\n"
            "Rejections (empty, a filter, duplicate, near_duplicate) are normal outcomes: logged\n"
            "with their reason, counted in the summary, and nothing is written for them.\n"
            "\n"
            "exit status: every input is processed even when some fail; then\n"
            "  0   every input was processed (kept or rejected)\n"
            "  65  an input is bad data (binary, undecodable, too large); not worth retrying\n"
            "  66  an input is missing\n"
            "  74  I/O error (output folder, full disk: no partial output is left)\n"
            "  75  the dedup index stayed locked by another process (retry)\n"
            "  2   usage error, 1 other\n"
            "With several failures the most serious wins: 74, then 75, 66, 65.\n");
}

enum {
    OPT_DEDUP_DB = 1000,
    OPT_NO_DEDUP,
    OPT_NEAR_DUP,
    OPT_FILTERS,
    OPT_MIN_WORDS,
    OPT_THREADS,
    OPT_MAX_SIZE,
    OPT_JSON,
    OPT_PROGRESS,
    OPT_BLOCK_DEDUP,
    OPT_BLOCK_MIN_BYTES,
};

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"out", required_argument, NULL, 'o'},
        {"dedup-db", required_argument, NULL, OPT_DEDUP_DB},
        {"no-dedup", no_argument, NULL, OPT_NO_DEDUP},
        {"near-dup", required_argument, NULL, OPT_NEAR_DUP},
        {"filters", required_argument, NULL, OPT_FILTERS},
        {"min-words", required_argument, NULL, OPT_MIN_WORDS},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"max-size", required_argument, NULL, OPT_MAX_SIZE},
        {"json", no_argument, NULL, OPT_JSON},
        {"progress", no_argument, NULL, OPT_PROGRESS},
        {"block-dedup", required_argument, NULL, OPT_BLOCK_DEDUP},
        {"block-min-bytes", required_argument, NULL, OPT_BLOCK_MIN_BYTES},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pp_run_options opt = {.near_threshold = 0.8,
                          .block_keep = 1,
                          .threads = cores < 1    ? 1
                                     : cores > 64 ? 64
                                                  : (int)cores,
                          .max_input_bytes = 256u << 20};
    pp_filters_default(&opt.filters);
    const char *filters_arg = "default";
    long min_words = -1;
    int verbose = 0;
    cr_err err = {0};
    cr_log_init("preprocess", CR_LOG_INFO);
    int c, option_index = -1;
    opterr = 0; /* one line of ours instead of getopt's and the whole usage */
    while ((c = getopt_long(argc, argv, ":o:qvhV", options, &option_index)) != -1) {
        int code = CR_OK;
        switch (c) {
        case 'o':
            opt.out_dir = optarg;
            break;
        case OPT_DEDUP_DB:
            opt.dedup_path = optarg;
            break;
        case OPT_NO_DEDUP:
            opt.no_dedup = 1;
            break;
        case OPT_NEAR_DUP:
            if (strcasecmp(optarg, "off") == 0)
                opt.near_threshold = 0;
            else if ((code = cr_parse_double(optarg, 0.0, 1.0, &opt.near_threshold, &err)) ==
                         CR_OK &&
                     opt.near_threshold <= 0)
                code = cr_fail(&err, CR_EUSAGE, "%s is not in (0, 1] (use \"off\")", optarg);
            break;
        case OPT_BLOCK_DEDUP: {
            long keep = 0;
            if (strcasecmp(optarg, "off") != 0)
                code = cr_parse_long(optarg, 1, PP_BLOCKS_MAX_KEEP, &keep, &err);
            opt.block_keep = (int)keep;
            break;
        }
        case OPT_BLOCK_MIN_BYTES: {
            long bytes;
            code = cr_parse_long(optarg, 1, 1L << 20, &bytes, &err);
            opt.block_min_bytes = (size_t)bytes;
            break;
        }
        case OPT_FILTERS:
            filters_arg = optarg;
            break;
        case OPT_MIN_WORDS:
            code = cr_parse_long(optarg, 0, 1000000000L, &min_words, &err);
            break;
        case OPT_THREADS: {
            long threads;
            code = cr_parse_long(optarg, 1, 64, &threads, &err);
            opt.threads = (int)threads;
            break;
        }
        case OPT_MAX_SIZE: {
            uint64_t bytes;
            code = cr_parse_size(optarg, &bytes, &err);
            if (!code && bytes == 0) /* 0 would read as "no limit" below */
                code = cr_fail(&err, CR_EUSAGE, "%s is out of range (more than 0)", optarg);
            opt.max_input_bytes = (size_t)bytes;
            break;
        }
        case OPT_JSON:
            opt.json = 1;
            break;
        case OPT_PROGRESS:
            opt.progress_mode = CR_PROGRESS_ALWAYS;
            break;
        case 'q':
            opt.quiet = 1;
            break;
        case 'v':
            verbose++;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("preprocess %s\n", CR_VERSION);
            return 0;
        case ':': /* the ':' that starts the option string asks getopt to tell these apart */
            code = cr_fail(&err, CR_EUSAGE, "%s needs a value (see preprocess --help)",
                           argv[optind - 1]);
            break;
        default:
            code = cr_fail(&err, CR_EUSAGE, "unknown option %s (see preprocess --help)",
                           argv[optind - 1]);
            break;
        }
        if (code) { /* a value that does not parse: say whose ("--threads: 0 is out of ...") */
            if (c >= OPT_DEDUP_DB && option_index >= 0)
                cr_err_context(&err, "--%s", options[option_index].name);
            return cr_err_report("preprocess", &err);
        }
    }
    cr_log_verbosity(opt.quiet, verbose);
    if (!opt.out_dir) {
        cr_fail(&err, CR_EUSAGE, "no output folder: --out DIR is required (see --help)");
        return cr_err_report("preprocess", &err);
    }
    if (optind >= argc) {
        cr_fail(&err, CR_EUSAGE, "no input: name files or folders to process (see --help)");
        return cr_err_report("preprocess", &err);
    }
    if (strcmp(filters_arg, "none") == 0) {
        pp_filters_none(&opt.filters);
    } else if (strcmp(filters_arg, "default") != 0) {
        int code = pp_filters_load(&opt.filters, filters_arg, &err);
        if (code) {
            if (code == CR_ENOINPUT)
                err.code = CR_EUSAGE;
            return cr_err_report("preprocess", &err);
        }
    }
    if (min_words >= 0) {
        opt.filters.enabled[PP_F_MIN_WORDS] = min_words > 0;
        opt.filters.limit[PP_F_MIN_WORDS] = (double)min_words;
    }
    opt.inputs = argv + optind;
    opt.input_count = argc - optind;
    /* A file-size limit (ulimit -f) must surface as a write error (74), not kill us. */
    signal(SIGXFSZ, SIG_IGN);
    int code = pp_run(&opt, &err);
    if (code && err.code)
        return cr_err_report("preprocess", &err);
    return code;
}
