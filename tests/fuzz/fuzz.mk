# fuzz.mk — the libFuzzer harnesses of tests/fuzz/ (included by the Makefile, after the programs'
# rules). Each fuzz_NAME.c links the modules of one program, as that program's unit tests do:
# FUZZ_PROGRAM_NAME says which ("lib": lib/ only). Two builds of each harness:
#   $(BUILD)/tests/fuzz/test_NAME  with replay.c's main: `make test` replays tests/fuzz/corpus/NAME/
#   build/fuzz/fuzz/fuzz_NAME      clang -fsanitize=fuzzer,address,undefined: `make fuzz`
# `make fuzz FUZZ_S=60 [FUZZ=name...]` runs each harness for FUZZ_S seconds (tests/fuzz/run.sh).

FUZZ_PROGRAM_yaml       := orchestrator
FUZZ_PROGRAM_html       := preprocess
FUZZ_PROGRAM_meta       := preprocess
FUZZ_PROGRAM_robots     := crawler
FUZZ_PROGRAM_url        := crawler
FUZZ_PROGRAM_sitemap    := crawler
FUZZ_PROGRAM_links      := crawler
FUZZ_PROGRAM_http       := crawler
FUZZ_PROGRAM_warc       := crawler
FUZZ_PROGRAM_shard      := lib
FUZZ_PROGRAM_checkpoint := trainer
FUZZ_PROGRAM_state      := trainer
FUZZ_PROGRAM_vocab      := lib
FUZZ_PROGRAM_tiktoken   := tokenizer
FUZZ_PROGRAM_gpt2       := tokenizer

FUZZ_NAMES := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_S     ?= 60
FUZZ       ?= $(FUZZ_NAMES)
lib_LIBS   := $(call pkg_libs,$(LIB_PKGS)) $(LIB_LDLIBS)

$(BUILD)/tests/fuzz/replay.o: tests/fuzz/replay.c
	$(call compile,)

# $(1): harness name, $(2): the program whose modules it links.
define fuzz_rules
$(BUILD)/tests/fuzz/fuzz_$(1).o: tests/fuzz/fuzz_$(1).c
	$$(call compile,$$($(2)_FLAGS) -Itests -Itests/fuzz -I$(2))
$(BUILD)/tests/fuzz/test_$(1): $(BUILD)/tests/fuzz/fuzz_$(1).o $(BUILD)/tests/fuzz/replay.o $$($(2)_MODS) $(LIB_A)
	$$(CC) $$(ALL_LDFLAGS) $$^ $$($(2)_LIBS) -o $$@.tmp.$$$$$$$$ && mv -f $$@.tmp.$$$$$$$$ $$@
$(BUILD)/fuzz/fuzz_$(1): $(BUILD)/tests/fuzz/fuzz_$(1).o $$($(2)_MODS) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -fsanitize=fuzzer $$^ $$($(2)_LIBS) -o $$@.tmp.$$$$$$$$ && mv -f $$@.tmp.$$$$$$$$ $$@
endef
$(foreach f,$(FUZZ_NAMES),$(if $(FUZZ_PROGRAM_$(f)),,$(error tests/fuzz/fuzz_$(f).c: no FUZZ_PROGRAM_$(f) in tests/fuzz/fuzz.mk)))
$(foreach f,$(FUZZ_NAMES),$(eval $(call fuzz_rules,$(f),$(FUZZ_PROGRAM_$(f)))))

ifneq ($(SANITIZE),fuzz)
TEST_BINS += $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/test_%)
endif

.PHONY: fuzz fuzz-bins
fuzz-bins: $(FUZZ:%=$(BUILD)/fuzz/fuzz_%)

ifeq ($(SANITIZE),fuzz)
fuzz: fuzz-bins
	@sh tests/fuzz/run.sh $(BUILD)/fuzz $(FUZZ_S) $(FUZZ)
else
# libFuzzer needs clang; the build goes to build/fuzz, whatever CC and SANITIZE say here.
fuzz: deps
	@$(MAKE) --no-print-directory SANITIZE=fuzz CC=clang WERROR=0 FUZZ_S=$(FUZZ_S) FUZZ="$(FUZZ)" fuzz
endif
