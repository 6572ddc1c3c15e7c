# crawler: libcurl (multi interface), libxml2 (HTML and sitemap parsing), SQLite (frontier), zlib (WARC)
crawler_PKGS := libcurl libxml-2.0 sqlite3 zlib
