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
#   make fuzz            libFuzzer harnesses (test/fuzz/) into build/fuzz/ (clang)
#   make check-fuzz      replay test/fuzz/regress/, then fuzz each harness
#                        FUZZ_SECONDS (30) seconds; see docs/testing.md
#   make check-asan      unit tests and parity under AddressSanitizer and
#                        UndefinedBehaviorSanitizer (build-asan/, clang)
#   make check-tsan      the worker pool and batch tests under ThreadSanitizer
#                        (build-tsan/, clang)
#   make check-valgrind  a short generation and chat under valgrind memcheck
#
# The last five need clang (and valgrind); make and make install do not.
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
REGRESS = setup catalog generate classify embed_score tokenize encoding settings privileges pool prefix array process details grammar families errors upgrade
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

# ---- fuzzing and sanitizers (docs/testing.md) ----
#
# Each build compiles the engine and kernels again with clang and its own
# flags into a directory of its own; none is part of "make".  The fuzzers
# read ../shared at start-up and take their seeds from there by symbolic
# links (build/fuzz/seeds), never copies.

SAN_CC = clang
SAN_CFLAGS = -std=gnu11 -O1 -g -fno-omit-frame-pointer -ffp-contract=off -pthread \
	-Wall -Wextra -Wno-unused-parameter
ASAN_FLAGS = -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_FLAGS = -fsanitize=thread
ENGINE_LIB_SRCS = $(KERNEL_SRCS) $(ENGINE_SRCS)

# $(1): build directory, $(2): sanitizer flags.  The engine library and
# the tools' objects of a sanitizer build.
define SAN_BUILD
$(1)/%.o: %.c $(wildcard kernels/*.h tools/*.h) $(ENGINE_HDRS)
	@mkdir -p $$(dir $$@)
	$(SAN_CC) $(SAN_CFLAGS) $(2) $(ENGINE_CPPFLAGS) -c -o $$@ $$<

$(1)/libllm-engine.a: $(patsubst %.c,$(1)/%.o,$(ENGINE_LIB_SRCS))
	rm -f $$@
	ar rcs $$@ $$^
endef

FUZZ_BUILD = $(BUILD)/fuzz
FUZZ_OBJ = $(FUZZ_BUILD)/obj
$(eval $(call SAN_BUILD,$(FUZZ_OBJ),$(ASAN_FLAGS) -fsanitize=fuzzer-no-link))
$(eval $(call SAN_BUILD,build-asan,$(ASAN_FLAGS)))
$(eval $(call SAN_BUILD,build-tsan,$(TSAN_FLAGS)))

FUZZ_NAMES = $(patsubst test/fuzz/fuzz_%.c,%,$(sort $(wildcard test/fuzz/fuzz_*.c)))
FUZZ_TARGETS = $(addprefix $(FUZZ_BUILD)/fuzz_,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 30
FUZZ_SEEDS = $(FUZZ_BUILD)/seeds

$(FUZZ_BUILD)/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz.h $(FUZZ_OBJ)/libllm-engine.a
	$(SAN_CC) $(SAN_CFLAGS) $(ASAN_FLAGS) -fsanitize=fuzzer $(ENGINE_CPPFLAGS) -Itest/fuzz \
		-o $@ $< $(FUZZ_OBJ)/libllm-engine.a -lm

$(FUZZ_BUILD)/seeds-tool: test/fuzz/seeds.c test/fuzz/fuzz.h $(FUZZ_OBJ)/libllm-engine.a
	$(SAN_CC) $(SAN_CFLAGS) $(ASAN_FLAGS) $(ENGINE_CPPFLAGS) -Itest/fuzz \
		-o $@ $< $(FUZZ_OBJ)/libllm-engine.a -lm

# Generated seeds, and links to the shared files the harnesses start from.
$(FUZZ_SEEDS)/.done: $(FUZZ_BUILD)/seeds-tool test/unit/json_schema/llama_cases.txt
	rm -rf $(FUZZ_SEEDS)
	$(FUZZ_BUILD)/seeds-tool $(FUZZ_SEEDS)
	mkdir -p $(FUZZ_SEEDS)/shared-models $(FUZZ_SEEDS)/shared-json
	ln -sf $(abspath ../shared/models/stories260K.gguf ../shared/parity/stories260K.Q8_0.gguf) \
		$(FUZZ_SEEDS)/shared-models/
	ln -sf $(abspath $(wildcard ../shared/parity/*.json ../shared/parity-archs/*.json)) \
		$(FUZZ_SEEDS)/shared-json/
	touch $@

.PHONY: fuzz check-fuzz check-asan check-tsan check-valgrind
fuzz: $(FUZZ_TARGETS) $(FUZZ_SEEDS)/.done

# replay test/fuzz/regress/, then fuzz each harness (test/fuzz/check.sh)
check-fuzz: fuzz
	bash test/fuzz/check.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

# AddressSanitizer and UndefinedBehaviorSanitizer (every report fatal): the
# unit tests and llm-cli's parity suites.  Leaks are reported at exit.
ASAN_UNIT_TESTS = $(patsubst test/unit/%.c,build-asan/test/%,$(sort $(wildcard test/unit/test_*.c)))
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

build-asan/test/%: test/unit/%.c test/unit/unit.h build-asan/libllm-engine.a build-asan/tools/cli_input.o
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(ASAN_FLAGS) $(ENGINE_CPPFLAGS) -Itest/unit -o $@ $< \
		build-asan/tools/cli_input.o build-asan/libllm-engine.a -lm

build-asan/llm-cli: $(patsubst %.c,build-asan/%.o,$(CLI_SRCS)) build-asan/libllm-engine.a
	$(SAN_CC) $(SAN_CFLAGS) $(ASAN_FLAGS) -o $@ $^ -lm

check-asan: $(ASAN_UNIT_TESTS) build-asan/llm-cli
	@status=0; for t in $(ASAN_UNIT_TESTS); do $(SAN_ENV) $$t || status=1; done; \
	$(SAN_ENV) build-asan/llm-cli parity ../shared/parity || status=1; \
	$(SAN_ENV) build-asan/llm-cli parity ../shared/parity-archs || status=1; \
	exit $$status

# ThreadSanitizer on what runs threads: the worker pool, and batched and
# multi-threaded decoding.
TSAN_TESTS = build-tsan/test/test_threads build-tsan/test/test_batch

build-tsan/test/%: test/unit/%.c test/unit/unit.h build-tsan/libllm-engine.a build-tsan/tools/cli_input.o
	@mkdir -p $(dir $@)
	$(SAN_CC) $(SAN_CFLAGS) $(TSAN_FLAGS) $(ENGINE_CPPFLAGS) -Itest/unit -o $@ $< \
		build-tsan/tools/cli_input.o build-tsan/libllm-engine.a -lm

check-tsan: $(TSAN_TESTS)
	@status=0; for t in $(TSAN_TESTS); do $(SAN_ENV) $$t || status=1; done; exit $$status

# valgrind memcheck over the normal build: a short generation and a chat,
# sampled, with zero errors and nothing definitely lost.  valgrind runs
# AVX2 but not AVX-512, and tells the program so through cpuid.
VALGRIND = valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite
check-valgrind: bin/llm-cli
	$(VALGRIND) bin/llm-cli generate ../shared/models/stories260K.gguf --prompt "Once upon a time" \
		-n 8 --temp 0.8 --seed 1 --top-k 40 --top-p 0.9
	$(VALGRIND) bin/llm-cli chat ../shared/models/stories260K.gguf --system "Be brief." \
		--user "Tell me a story" -n 8
