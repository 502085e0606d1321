# llm: in-database inference for PostgreSQL.
#
#   make                 the extension (llm.so), bin/llm-cli and bin/llm-batch
#   make install         install the extension (PGXS)
#   make check-unit      C unit tests (kernels, GGUF, JSON, tokenizer, engine)
#   make check-cli       llm-cli's command line: usage, option errors, info
#   make check-parity    forward-pass parity against llama.cpp (../shared/parity,
#                        ../shared/parity-archs)
#   make installcheck    pg_regress tests against an installed server
#   make check-tap       TAP tests: servers with the shared pool (as postgres when root)
#
# The engine and kernels are pure C and are compiled twice: into the
# extension with PostgreSQL's flags, and into build/ for the command-line
# tool and the tests.

EXTENSION = llm
DATA = llm--1.0.sql llm--1.0--1.1.sql
MODULE_big = llm

KERNEL_SRCS = $(sort $(wildcard kernels/*.c))
# the engine keeps a folder per concern (src/engine/<concern>/*.c) beside its
# top-level files; headers are included by their path below src/engine
ENGINE_SRCS = $(sort $(wildcard src/engine/*.c src/engine/*/*.c))
ENGINE_HDRS = $(wildcard src/engine/*.h src/engine/*/*.h)
GLUE_SRCS = $(sort $(wildcard src/*.c))

OBJS = $(GLUE_SRCS:.c=.o) $(ENGINE_SRCS:.c=.o) $(KERNEL_SRCS:.c=.o)
PG_CPPFLAGS = -Ikernels -Isrc/engine
# PGXS tracks no header dependencies: a changed struct must rebuild its users
$(OBJS): $(wildcard src/*.h kernels/*.h) $(ENGINE_HDRS)
# kernels keep ggml's rounding: no fused multiply-adds unless written so
PG_CFLAGS = -ffp-contract=off
SHLIB_LINK = -lm -lpthread

# in this order: setup creates the extension, the others use it
REGRESS = setup catalog generate classify embed_score tokenize encoding settings privileges pool prefix array process details errors upgrade
REGRESS_OPTS = --inputdir=test --outputdir=build/regress
# test files at a fixed path (see test/fixtures/setup.sh)
REGRESS_PREP = fixtures

PG_CONFIG ?= pg_config
HAVE_PGXS := $(shell command -v $(PG_CONFIG) >/dev/null 2>&1 && echo yes)

ifeq ($(HAVE_PGXS),yes)
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
all: bin/llm-batch
else
all:
	@echo "pg_config not found: building bin/llm-cli only"
endif

all: bin/llm-cli

# ---- the engine outside PostgreSQL: llm-cli and tests ----

BUILD = build
ENGINE_CFLAGS = -std=gnu11 -O2 -g -ffp-contract=off -Wall -Wextra -Wno-unused-parameter -pthread
ENGINE_CPPFLAGS = -Ikernels -Isrc/engine -Itools
ENGINE_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(KERNEL_SRCS) $(ENGINE_SRCS))
CLI_SRCS = $(sort $(wildcard tools/*.c))
CLI_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(CLI_SRCS))

$(BUILD)/%.o: %.c $(wildcard kernels/*.h tools/*.h) $(ENGINE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(ENGINE_CFLAGS) $(ENGINE_CPPFLAGS) -c -o $@ $<

$(BUILD)/libllm-engine.a: $(ENGINE_OBJS)
	rm -f $@
	ar rcs $@ $^

bin/llm-cli: $(CLI_OBJS) $(BUILD)/libllm-engine.a
	@mkdir -p bin
	$(CC) $(ENGINE_CFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libllm-engine.a -lm

# llm-batch: a libpq client (tools/batch/), no engine and no server headers
BATCH_SRCS = $(sort $(wildcard tools/batch/*.c))
BATCH_OBJS = $(patsubst %.c,$(BUILD)/%.o,$(BATCH_SRCS))
PQ_INCLUDEDIR = $(shell $(PG_CONFIG) --includedir)
PQ_LIBDIR = $(shell $(PG_CONFIG) --libdir)

$(BUILD)/tools/batch/%.o: tools/batch/%.c tools/batch/batch.h
	@mkdir -p $(dir $@)
	$(CC) $(ENGINE_CFLAGS) -I$(PQ_INCLUDEDIR) -c -o $@ $<

bin/llm-batch: $(BATCH_OBJS)
	@mkdir -p bin
	$(CC) $(ENGINE_CFLAGS) -o $@ $(BATCH_OBJS) -L$(PQ_LIBDIR) -lpq

UNIT_TESTS = $(patsubst test/unit/%.c,$(BUILD)/test/%,$(sort $(wildcard test/unit/test_*.c)))
TOOL_LIB_OBJS = $(BUILD)/tools/cli_input.o

$(BUILD)/test/%: test/unit/%.c test/unit/unit.h $(BUILD)/libllm-engine.a $(TOOL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ENGINE_CFLAGS) $(ENGINE_CPPFLAGS) -Itest/unit -o $@ $< $(TOOL_LIB_OBJS) $(BUILD)/libllm-engine.a -lm

.PHONY: check-unit check-cli check-parity check-kernels fixtures check-cancel check-tap
fixtures: bin/llm-cli
	@mkdir -p build/regress
	bash test/fixtures/setup.sh

# needs a running server (PGHOST/PGPORT) with the extension installed
check-cancel: bin/llm-cli
	bash test/cancel.sh

# TAP tests (test/tap/*.pl): servers of their own with their own settings
# (PostgreSQL::Test::Cluster).  initdb refuses root, so as root they run as
# the "postgres" user, on a copy of what they read (the tests, the tools,
# the models they use) in TAP_DIR: the checkout may not be readable by it.
TAP_DIR ?= /tmp/llm-tap
TAP_AS = $(if $(filter 0,$(shell id -u)),runuser -u postgres --,)
TAP_SHARED = models/stories260K.gguf parity/stories260K.Q8_0.gguf parity/syn-qwen2.Q8_0.gguf
check-tap: bin/llm-cli bin/llm-batch
	rm -rf $(TAP_DIR) && mkdir -p $(TAP_DIR)/bin $(TAP_DIR)/t $(TAP_DIR)/shared/models $(TAP_DIR)/shared/parity
	cp bin/llm-cli bin/llm-batch $(TAP_DIR)/bin/
	cp test/tap/*.pl $(TAP_DIR)/t/
	mkdir -p $(TAP_DIR)/docs/docs && cp README.md $(TAP_DIR)/docs/ && cp docs/*.md $(TAP_DIR)/docs/docs/
	for f in $(TAP_SHARED); do cp ../shared/$$f $(TAP_DIR)/shared/$$f; done
	chmod -R a+rwX $(TAP_DIR)
	cd $(TAP_DIR) && $(TAP_AS) env PATH="$(bindir):$$PATH" TESTDIR=$(TAP_DIR) \
		PG_REGRESS=$(pgxsdir)/src/test/regress/pg_regress LLM_CLI=$(TAP_DIR)/bin/llm-cli \
		LLM_BATCH=$(TAP_DIR)/bin/llm-batch LLM_SHARED=$(TAP_DIR)/shared LLM_DOCS=$(TAP_DIR)/docs \
		prove -I $(pgxsdir)/src/test/perl $(if $(PROVE_TESTS),$(PROVE_TESTS),t/*.pl)

# the generation tests check their own recognisers, and write a model with llm-cli synth
$(BUILD)/test/test_grammar_gen: test/unit/grammar_check.h bin/llm-cli

check-unit: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do $$t || status=1; done; exit $$status

check-cli: bin/llm-cli
	bash test/cli.sh

check-kernels: $(BUILD)/test/test_kernels $(BUILD)/test/test_kernel_variants
	$(BUILD)/test/test_kernels
	$(BUILD)/test/test_kernel_variants

# every kernel variant this CPU runs; ../shared/parity-archs: qwen3, gemma3,
# phi3 and bert
check-parity: bin/llm-cli
	bin/llm-cli parity ../shared/parity --all-kernels
	bin/llm-cli parity ../shared/parity-archs --all-kernels

clean: clean-engine
.PHONY: clean-engine
clean-engine:
	rm -rf $(BUILD) bin

# ---- check-arm: the aarch64 kernel variants under qemu-user ----
#
# Cross-compiles the kernel tests for aarch64 (static, so qemu needs no
# sysroot) and runs them on emulated CPUs that between them enable every
# Arm variant: each test_kernel_variants run tests the variants that CPU
# runs against the reference and lists the others as skipped.  After each
# run the variant that CPU exists to cover must have been tested.  Needs
# gcc-aarch64-linux-gnu, libc6-dev-arm64-cross and qemu-user (Debian 12).

ARM_CC = aarch64-linux-gnu-gcc
ARM_QEMU = qemu-aarch64
ARM_BUILD = $(BUILD)/arm
# the native flags, plus the warnings PostgreSQL's build adds
ARM_CFLAGS = $(ENGINE_CFLAGS) -Wmissing-prototypes -Wdeclaration-after-statement \
	-Wpointer-arith -Werror=vla -Wimplicit-fallthrough=3 -Wcast-function-type \
	-Wshadow=compatible-local
ARM_KERNEL_OBJS = $(patsubst %.c,$(ARM_BUILD)/%.o,$(KERNEL_SRCS))
ARM_TESTS = $(ARM_BUILD)/test_kernels $(ARM_BUILD)/test_kernel_variants
# qemu -cpu setting : the variant it must run
ARM_CPUS = max,sve128=on:sve max,sve256=on:sve max,sve512=on:sve \
	max,sve=off:i8mm neoverse-n1:dotprod a64fx:sve cortex-a72:neon

$(ARM_BUILD)/kernels/%.o: kernels/%.c $(wildcard kernels/*.h)
	@mkdir -p $(dir $@)
	$(ARM_CC) $(ARM_CFLAGS) -Ikernels -c -o $@ $<

$(ARM_BUILD)/%: test/unit/%.c test/unit/unit.h $(ARM_KERNEL_OBJS)
	@mkdir -p $(dir $@)
	$(ARM_CC) $(ENGINE_CFLAGS) -static -Ikernels -Itest/unit -o $@ $< $(ARM_KERNEL_OBJS) -lm

.PHONY: check-arm
check-arm: $(ARM_TESTS)
	@status=0; ok=0; n=0; \
	for pair in $(ARM_CPUS); do \
		cpu=$${pair%:*}; want=$${pair##*:}; n=$$((n + 1)); fail=0; \
		echo "== qemu-aarch64 -cpu $$cpu"; \
		$(ARM_QEMU) -cpu $$cpu $(ARM_BUILD)/test_kernels || fail=1; \
		out=$$($(ARM_QEMU) -cpu $$cpu $(ARM_BUILD)/test_kernel_variants 2>&1) || fail=1; \
		echo "$$out"; \
		if ! echo "$$out" | grep -Eq "^variant $$want +testing"; then \
			echo "FAIL check-arm: -cpu $$cpu did not test the $$want variant"; \
			fail=1; \
		fi; \
		if [ $$fail = 0 ]; then ok=$$((ok + 1)); else status=1; fi; \
	done; \
	echo "check-arm: $$ok of $$n cpu settings ok"; \
	exit $$status

# The engine's parity suite on aarch64, once per Arm variant (-cpu max runs
# them all): the same llm-cli, cross-compiled, under qemu-user.
ARM_ENGINE_OBJS = $(patsubst %.c,$(ARM_BUILD)/%.o,$(ENGINE_SRCS) $(CLI_SRCS))

$(ARM_BUILD)/src/engine/%.o: src/engine/%.c $(wildcard kernels/*.h src/engine/*.h)
	@mkdir -p $(dir $@)
	$(ARM_CC) $(ENGINE_CFLAGS) $(ENGINE_CPPFLAGS) -c -o $@ $<
$(ARM_BUILD)/tools/%.o: tools/%.c $(wildcard kernels/*.h src/engine/*.h tools/*.h)
	@mkdir -p $(dir $@)
	$(ARM_CC) $(ENGINE_CFLAGS) $(ENGINE_CPPFLAGS) -c -o $@ $<

$(ARM_BUILD)/llm-cli: $(ARM_ENGINE_OBJS) $(ARM_KERNEL_OBJS)
	$(ARM_CC) $(ENGINE_CFLAGS) -static -o $@ $^ -lm

.PHONY: check-arm-parity
check-arm-parity: $(ARM_BUILD)/llm-cli
	$(ARM_QEMU) -cpu max,sve256=on $(ARM_BUILD)/llm-cli parity ../shared/parity --all-kernels
