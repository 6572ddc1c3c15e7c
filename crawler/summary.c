/* summary.c — prints a crawl_summary: pages saved and unchanged, requests, bytes, pages/s,
 * skipped pages by reason, errors by kind and the failed URLs; as text or as JSON (lib/json.h).
 * It computes nothing but the rate; crawl.c counts, main.c picks the format and exit code. */
#include "summary.h"

#include "buf.h"
#include "json.h"
#include "parse.h"

void summary_print_text(const crawl_summary *s, FILE *out)
{
    char size[32];
    cr_format_size((uint64_t)s->bytes, size, sizeof size);
    double rate = s->elapsed_s > 0 ? (double)(s->saved + s->unchanged) / s->elapsed_s : 0;
    fprintf(
        out,
        "crawler: %lld saved, %lld unchanged (304), %lld requests, %s in %.1fs (%.1f pages/s)%s\n",
        (long long)s->saved, (long long)s->unchanged, (long long)s->requests, size, s->elapsed_s,
        rate, s->resumed ? ", resumed" : "");
    cr_buf line;
    cr_buf_init(&line);
    for (int i = 0; i < SKIP_REASON_COUNT; i++)
        if (s->skipped[i])
            cr_buf_printf(&line, "%s%s %lld", line.len ? ", " : "", skip_reason_names[i],
                          (long long)s->skipped[i]);
    if (line.len)
        fprintf(out, "crawler: skipped: %s\n", line.data);
    cr_buf_reset(&line);
    for (int i = 0; i < ERR_KIND_COUNT; i++)
        if (s->errors[i])
            cr_buf_printf(&line, "%s%s %lld", line.len ? ", " : "", error_kind_names[i],
                          (long long)s->errors[i]);
    if (line.len)
        fprintf(out, "crawler: errors: %s\n", line.data);
    cr_buf_free(&line);
    for (int i = 0; i < s->failure_count; i++)
        fprintf(out, "crawler: failed: %s (%s)\n", s->failures[i].url, s->failures[i].error);
    if (s->queued_left)
        fprintf(out, "crawler: %lld URLs left in the queue\n", (long long)s->queued_left);
}

void summary_print_json(const crawl_summary *s, const char *state_dir, int exit_code, FILE *out)
{
    cr_buf text;
    cr_buf_init(&text);
    cr_json j;
    cr_json_init(&j, &text);
    cr_json_object_begin(&j);
    cr_json_kv_int(&j, "pages_saved", s->saved);
    cr_json_kv_int(&j, "pages_unchanged", s->unchanged);
    cr_json_kv_int(&j, "pages_recovered", s->recovered);
    cr_json_kv_int(&j, "pages_in_generation", s->done_in_generation);
    cr_json_key(&j, "skipped");
    cr_json_object_begin(&j);
    for (int i = 0; i < SKIP_REASON_COUNT; i++)
        cr_json_kv_int(&j, skip_reason_names[i], s->skipped[i]);
    cr_json_object_end(&j);
    cr_json_key(&j, "errors");
    cr_json_object_begin(&j);
    for (int i = 0; i < ERR_KIND_COUNT; i++)
        cr_json_kv_int(&j, error_kind_names[i], s->errors[i]);
    cr_json_object_end(&j);
    cr_json_key(&j, "failures");
    cr_json_array_begin(&j);
    for (int i = 0; i < s->failure_count; i++) {
        cr_json_object_begin(&j);
        cr_json_kv_string(&j, "url", s->failures[i].url ? s->failures[i].url : "");
        cr_json_kv_string(&j, "error", s->failures[i].error ? s->failures[i].error : "");
        cr_json_object_end(&j);
    }
    cr_json_array_end(&j);
    cr_json_kv_int(&j, "requests", s->requests);
    cr_json_kv_int(&j, "retries", s->retries);
    cr_json_kv_int(&j, "robots_fetched", s->robots_fetched);
    cr_json_kv_int(&j, "sitemaps_fetched", s->sitemaps_fetched);
    cr_json_kv_int(&j, "bytes", s->bytes);
    cr_json_kv_int(&j, "queued_left", s->queued_left);
    cr_json_kv_double(&j, "elapsed_s", s->elapsed_s);
    cr_json_kv_double(&j, "pages_per_s",
                      s->elapsed_s > 0 ? (double)(s->saved + s->unchanged) / s->elapsed_s : 0);
    cr_json_kv_int(&j, "generation", s->generation);
    cr_json_kv_bool(&j, "resumed", s->resumed);
    cr_json_kv_bool(&j, "interrupted", s->interrupted);
    cr_json_kv_string(&j, "state", state_dir);
    cr_json_kv_int(&j, "exit_code", exit_code);
    cr_json_object_end(&j);
    cr_buf_putc(&text, '\n');
    fwrite(text.data, 1, text.len, out);
    fflush(out);
    cr_buf_free(&text);
}
