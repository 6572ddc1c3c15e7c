# orchestrator: libyaml (config), SQLite (the record), libcurl (webhooks)
orchestrator_PKGS := yaml-0.1 sqlite3 libcurl
