# crystalline — one Makefile for five programs, their shared lib/ and their tests.
#
# Every folder with a main.c is a program, built into bin/. A program's folder may hold
# build.mk (NAME_PKGS: pkg-config names, NAME_LDLIBS: extra libraries) and packages.txt
# (the Debian packages it needs; `make deps` installs the union of every packages.txt).
# Objects are written to a temporary name and renamed, so parallel builds never see half a file.

CC      ?= gcc
ifeq ($(CC),cc)
CC      := gcc
endif
CSTD    := -std=gnu11
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
WARN    := -Wall -Wextra -Wno-unused-parameter
ifeq ($(CI),true)
WERROR  ?= 1
endif
ifeq ($(WERROR),1)
WARN    += -Werror
endif
# SANITIZE=1: ASan and UBSan; SANITIZE=thread: ThreadSanitizer (tests/tsan.supp lists the
# reports judged false, each with why); SANITIZE=fuzz: the libFuzzer build (tests/fuzz/fuzz.mk).
ifeq ($(SANITIZE),1)
BUILD   := build/san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(SANITIZE),thread)
BUILD   := build/tsan
SANFLAGS := -fsanitize=thread -fno-omit-frame-pointer
TEST_ENV := TSAN_OPTIONS="suppressions=$(abspath tests/tsan.supp) second_deadlock_stack=1 \
	log_path=$(abspath build/tsan/reports)/tsan" CR_SANITIZER_REPORTS=$(abspath build/tsan/reports) \
	CR_TEST_TIME_SCALE=$(or $(CR_TEST_TIME_SCALE),4) CR_TEST_TIMEOUT=$(or $(CR_TEST_TIMEOUT),1800)
else ifeq ($(SANITIZE),fuzz)
BUILD   := build/fuzz
SANFLAGS := -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
else
BUILD   := build/opt
SANFLAGS :=
endif
ifeq ($(BUILD),build/opt)
BIN     := bin
else
BIN     := $(BUILD)/bin
endif
ALL_CFLAGS  = $(CSTD) $(CFLAGS) $(WARN) $(SANFLAGS) -pthread -D_GNU_SOURCE -Ilib -MMD -MP
ALL_LDFLAGS = $(SANFLAGS) -pthread $(LDFLAGS)

LIB_PKGS   := libcrypto libpcre2-8 sqlite3
LIB_LDLIBS := -lm
pkg_cflags = $(if $(strip $(1)),$(shell pkg-config --cflags $(1)))
pkg_libs   = $(if $(strip $(1)),$(shell pkg-config --libs $(1)))

PROGRAMS := $(sort $(patsubst %/main.c,%,$(wildcard */main.c)))
-include $(wildcard */build.mk)

LIB_SRCS := $(wildcard lib/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB_A    := $(BUILD)/libcrystalline.a

# Write-then-rename, so that two makes racing on one object never link half a file.
define compile
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(1) -MF $(@:.o=.d) -MT $@ -c $< -o $@.tmp.$$$$ && mv -f $@.tmp.$$$$ $@
endef

.PHONY: all deps demo test bench fmt clean
.SECONDARY:
all: $(PROGRAMS:%=$(BIN)/%)

$(BUILD)/lib/%.o: lib/%.c
	$(call compile,$(call pkg_cflags,$(LIB_PKGS)))

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@.tmp.$$$$ && ar rcs $@.tmp.$$$$ $^ && mv -f $@.tmp.$$$$ $@

# One template per program: its objects, its binary, and its unit tests
# (tests/NAME/test_*.c link against the program's modules, all but main.o).
define program_rules
$(1)_SRCS := $$(wildcard $(1)/*.c)
$(1)_OBJS := $$($(1)_SRCS:%.c=$(BUILD)/%.o)
$(1)_MODS := $$(filter-out $(BUILD)/$(1)/main.o,$$($(1)_OBJS))
$(1)_FLAGS := $$(call pkg_cflags,$$($(1)_PKGS))
$(1)_LIBS := $$(call pkg_libs,$$($(1)_PKGS) $(LIB_PKGS)) $$($(1)_LDLIBS) $(LIB_LDLIBS)
$(BUILD)/$(1)/%.o: $(1)/%.c
	$$(call compile,$$($(1)_FLAGS) $$($(1)_CFLAGS_$$*))
$(BIN)/$(1): $$($(1)_OBJS) $(LIB_A)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) $$^ $$($(1)_LIBS) -o $$@.tmp.$$$$$$$$ && mv -f $$@.tmp.$$$$$$$$ $$@
$(1)_TEST_SRCS := $$(wildcard tests/$(1)/test_*.c)
$(1)_TESTS := $$($(1)_TEST_SRCS:%.c=$(BUILD)/%)
$(BUILD)/tests/$(1)/%.o: tests/$(1)/%.c
	$$(call compile,$$($(1)_FLAGS) -Itests -I$(1))
$(BUILD)/tests/$(1)/test_%: $(BUILD)/tests/$(1)/test_%.o $$($(1)_MODS) $(LIB_A)
	$$(CC) $$(ALL_LDFLAGS) $$^ $$($(1)_LIBS) -o $$@.tmp.$$$$$$$$ && mv -f $$@.tmp.$$$$$$$$ $$@
TEST_BINS += $$($(1)_TESTS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call program_rules,$(p))))

# libFuzzer harnesses, their corpus replay in `make test`, and `make fuzz`.
include tests/fuzz/fuzz.mk

# Unit tests of lib/ itself.
LIBTEST_SRCS := $(wildcard tests/lib/test_*.c)
TEST_BINS += $(LIBTEST_SRCS:%.c=$(BUILD)/%)
$(BUILD)/tests/lib/%.o: tests/lib/%.c
	$(call compile,-Itests)
$(BUILD)/tests/lib/test_%: $(BUILD)/tests/lib/test_%.o $(LIB_A)
	$(CC) $(ALL_LDFLAGS) $^ $(call pkg_libs,$(LIB_PKGS)) $(LIB_LDLIBS) -o $@.tmp.$$$$ && mv -f $@.tmp.$$$$ $@

# Installs exactly the Debian packages that are missing; says so when none are.
deps:
	@sh mk/deps.sh $(sort $(wildcard */packages.txt))

# `make test` works on a fresh machine: deps, build, then every test (C and shell).
# TESTS=pattern runs only the test files whose path contains the pattern.
test: deps
	@$(MAKE) --no-print-directory all test-bins
	@$(TEST_ENV) CR_BIN=$(abspath $(BIN)) CR_BUILD=$(abspath $(BUILD)) sh tests/run.sh $(TESTS)

.PHONY: test-bins
test-bins: $(TEST_BINS)

# The whole pipeline on a local site and the project's own files (mk/demo.sh).
demo: deps
	@$(MAKE) --no-print-directory all
	@sh mk/demo.sh

bench: deps all
	@CR_BIN=$(abspath $(BIN)) sh bench/run.sh $(BENCH)

fmt:
	clang-format -i $(wildcard lib/*.[ch] */*.[ch] tests/*/*.[ch] tests/*.h bench/*.[ch])

clean:
	rm -rf build bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
