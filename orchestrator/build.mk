# orchestrator: libyaml (config), SQLite (the record), libcurl (webhooks), libmicrohttpd and
# json-c (the dashboard: its HTTP server, and reading the trainer's metrics.jsonl)
orchestrator_PKGS := yaml-0.1 sqlite3 libcurl libmicrohttpd json-c
# The dashboard's page is built into the binary (.incbin): rebuild when one of its files changes.
$(BUILD)/orchestrator/dashboard_assets.o: $(wildcard orchestrator/dashboard/*.* orchestrator/dashboard/vendor/*)
# (that rule comes before the Makefile's `all`: it must not become the default goal)
ifeq ($(.DEFAULT_GOAL),$(BUILD)/orchestrator/dashboard_assets.o)
.DEFAULT_GOAL :=
endif
