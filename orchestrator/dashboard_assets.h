/* dashboard_assets.h — the dashboard's page, built into the binary (dashboard_assets.c embeds
 * the files of orchestrator/dashboard/ with the assembler's .incbin). Each file is followed by a
 * NUL byte, not counted between NAME and NAME_end. Served by dashboard.c. */
#ifndef ORCH_DASHBOARD_ASSETS_H
#define ORCH_DASHBOARD_ASSETS_H

extern const char dash_index_html[], dash_index_html_end[];
extern const char dash_app_js[], dash_app_js_end[];
extern const char dash_app_css[], dash_app_css_end[];
extern const char dash_uplot_js[], dash_uplot_js_end[];
extern const char dash_uplot_css[], dash_uplot_css_end[];
extern const char dash_uplot_license[], dash_uplot_license_end[];

#endif
