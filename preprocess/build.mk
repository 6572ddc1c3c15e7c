# preprocess: libxml2 (HTML parser, DOCX/ODT/EPUB XML), utf8proc (NFC), json-c (crawler meta files),
# SQLite (dedup index), poppler-glib (PDF text), libzip (DOCX, ODT and EPUB archives).
preprocess_PKGS := libxml-2.0 libutf8proc json-c sqlite3 poppler-glib libzip
