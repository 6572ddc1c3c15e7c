# preprocess: libxml2 (HTML parser), utf8proc (NFC), json-c (crawler meta files), SQLite (dedup index).
preprocess_PKGS := libxml-2.0 libutf8proc json-c sqlite3
