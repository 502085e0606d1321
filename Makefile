# llm: in-database inference for PostgreSQL.
#
#   make                 the extension (llm.so) and bin/llm-cli
#   make install         install the extension (PGXS)
#   make check-unit      C unit tests (kernels, GGUF, JSON, tokenizer, engine)
#   make check-parity    forward-pass parity against llama.cpp (../shared/parity)
#   make installcheck    pg_regress tests against an installed server
#
# The engine and kernels are pure C and are compiled twice: into the
# extension with PostgreSQL's flags, and into build/ for the command-line
# tool and the tests.

EXTENSION = llm
DATA = llm--1.0.sql
MODULE_big = llm

KERNEL_SRCS = $(sort $(wildcard kernels/*.c))
ENGINE_SRCS = $(sort $(wildcard src/engine/*.c))
GLUE_SRCS = $(sort $(wildcard src/*.c))

OBJS = $(GLUE_SRCS:.c=.o) $(ENGINE_SRCS:.c=.o) $(KERNEL_SRCS:.c=.o)
PG_CPPFLAGS = -Ikernels -Isrc/engine
# kernels keep ggml's rounding: no fused multiply-adds unless written so
PG_CFLAGS = -ffp-contract=off
SHLIB_LINK = -lm -lpthread

REGRESS = $(patsubst test/sql/%.sql,%,$(sort $(wildcard test/sql/*.sql)))
REGRESS_OPTS = --inputdir=test --outputdir=build/regress

PG_CONFIG ?= pg_config
HAVE_PGXS := $(shell command -v $(PG_CONFIG) >/dev/null 2>&1 && echo yes)

ifeq ($(HAVE_PGXS),yes)
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
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

$(BUILD)/%.o: %.c $(wildcard kernels/*.h src/engine/*.h tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ENGINE_CFLAGS) $(ENGINE_CPPFLAGS) -c -o $@ $<

$(BUILD)/libllm-engine.a: $(ENGINE_OBJS)
	rm -f $@
	ar rcs $@ $^

bin/llm-cli: $(CLI_OBJS) $(BUILD)/libllm-engine.a
	@mkdir -p bin
	$(CC) $(ENGINE_CFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libllm-engine.a -lm

UNIT_TESTS = $(patsubst test/unit/%.c,$(BUILD)/test/%,$(sort $(wildcard test/unit/test_*.c)))
TOOL_LIB_OBJS = $(BUILD)/tools/json.o

$(BUILD)/test/%: test/unit/%.c test/unit/unit.h $(BUILD)/libllm-engine.a $(TOOL_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ENGINE_CFLAGS) $(ENGINE_CPPFLAGS) -Itest/unit -o $@ $< $(TOOL_LIB_OBJS) $(BUILD)/libllm-engine.a -lm

.PHONY: check-unit check-parity check-kernels
check-unit: $(UNIT_TESTS)
	@status=0; for t in $(UNIT_TESTS); do $$t || status=1; done; exit $$status

check-kernels: $(BUILD)/test/test_kernels $(BUILD)/test/test_kernel_variants
	$(BUILD)/test/test_kernels
	$(BUILD)/test/test_kernel_variants

check-parity: bin/llm-cli
	bin/llm-cli parity ../shared/parity

clean: clean-engine
.PHONY: clean-engine
clean-engine:
	rm -rf $(BUILD) bin
