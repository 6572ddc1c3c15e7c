/* fuzz_meta.c — a crawled page with its <id>.meta.json sidecar through the whole of
 * preprocess's per-file work (preprocess/document.c, pp_process_file): the JSON (json-c) and
 * the charset and URL it carries steer decoding and extraction. Input: the meta file, a NUL
 * byte, the page. Files live in the harness's temporary folder; no dedup index. */
#include "document.h"
#include "fuzz.h"
#include "html.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int initialised;
    static char out_dir[4200];
    if (!initialised) {
        pp_html_init();
        snprintf(out_dir, sizeof out_dir, "%s/clean", fuzz_dir());
        if (mkdir(out_dir, 0700) < 0)
            abort();
        initialised = 1;
    }
    const uint8_t *page;
    size_t page_size;
    char *meta = fuzz_split(data, size, &page, &page_size);
    char meta_path[4200], page_path[4200];
    fuzz_write_file("page.meta.json", meta, strlen(meta), meta_path, sizeof meta_path);
    fuzz_write_file("page.html", page, page_size, page_path, sizeof page_path);
    free(meta);

    pp_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.out_dir = out_dir;
    pp_filters_default(&ctx.filters);
    ctx.max_input_bytes = 1 << 20;
    pp_outcome outcome;
    pp_process_file(&ctx, page_path, &outcome, NULL, 0); /* written at once, one thread */
    if (outcome.status == PP_FAILED && !outcome.err.msg[0])
        abort(); /* a failure must say why */
    return 0;
}
