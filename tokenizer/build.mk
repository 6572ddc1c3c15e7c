# tokenizer: PCRE2 (the pre-tokenisation regex, with its JIT), json-c (reading GPT-2's
# encoder.json when importing).
tokenizer_PKGS := libpcre2-8 json-c
