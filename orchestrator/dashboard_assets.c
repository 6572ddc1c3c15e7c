/* dashboard_assets.c — embeds the dashboard's files (orchestrator/dashboard/: the page, its
 * script and style, and the vendored uPlot with its licence) into the binary with .incbin, so
 * the daemon serves them without any file beside it and the page works offline. The paths are
 * relative to the top folder, where make runs the compiler; orchestrator/build.mk makes this
 * object depend on the files. Served by dashboard.c. */
#include "dashboard_assets.h"

#define EMBED(name, file)                                                                          \
    __asm__(".section .rodata\n"                                                                   \
            ".global " #name "\n"                                                                  \
            ".type " #name ", @object\n"                                                           \
            ".balign 16\n" #name ":\n"                                                             \
            ".incbin \"" file "\"\n"                                                               \
            ".global " #name "_end\n" #name "_end:\n"                                              \
            ".byte 0\n"                                                                            \
            ".previous\n");

EMBED(dash_index_html, "orchestrator/dashboard/index.html")
EMBED(dash_app_js, "orchestrator/dashboard/app.js")
EMBED(dash_app_css, "orchestrator/dashboard/app.css")
EMBED(dash_uplot_js, "orchestrator/dashboard/vendor/uPlot.iife.min.js")
EMBED(dash_uplot_css, "orchestrator/dashboard/vendor/uPlot.min.css")
EMBED(dash_uplot_license, "orchestrator/dashboard/vendor/LICENSE.uPlot")
