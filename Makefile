# faultline - build, test, lint, bench.
#
#   make            build build/faultline
#   make test       lint, CUnit suites, scenario, compare, CLI, token, page and live tests (the README's test command)
#   make demo       run the bundled example scenario
#   make golden     re-record the bundled scenarios' digests and the README's example
#   make asan       the tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make bench      speed figures (PEERS=dir adds the peer simulators' table)
#   make format     reformat the sources with the checked-in .clang-format
#   make fuzz       the fuzz targets under libFuzzer, FUZZ_TIME seconds each (clang; build-fuzz/)
#   make fuzz-replay  the fuzz targets on their seed corpus and past crashes (part of make test)
#
# Sources are found by folder: every .c under base/ netem/ proxies/ sim/
# reports/ live/ goes into the library, cli/ makes the binary, tests/ the
# test runner, bench/ the benchmarks. C11 without -ffast-math or -march: the
# floating-point results, and so the runs, are the same on every x86-64.

CC ?= cc
BUILD ?= build
# `faultline --version`: this, and `git describe` of the checkout when cli/version.c is compiled.
VERSION := 0.1.0
GIT_DESCRIBE := $(shell git describe --always --dirty 2>/dev/null)
CFLAGS ?= -O2 -g
# hiredis: the live runtime's Redis client (live/rt_kv.c, with its libev adapter).
PKGS := openssl sqlite3 yaml-0.1 libpcre2-8 jansson hiredis
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lssl -lcrypto -lsqlite3 -lyaml -lpcre2-8 -ljansson -lhiredis)
# Debian's libev-dev ships no pkg-config file.
EV_LIBS := $(shell pkg-config --libs libev 2>/dev/null || echo -lev)
CUNIT_LIBS := $(shell pkg-config --libs cunit 2>/dev/null || echo -lcunit)
# jansson, a well-kept JSON parser: the program reads JSON Web Tokens and keys with it
# (proxies/jwt.c, jwk.c; in PKGS), the tests and spancheck read JSON outputs.
JANSSON_LIBS := $(shell pkg-config --libs jansson 2>/dev/null || echo -ljansson)

ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wno-missing-field-initializers -I. $(PKG_CFLAGS) $(CFLAGS)
# Debian's libhttp-parser-dev ships no pkg-config file either.
LIBS := $(PKG_LIBS) $(EV_LIBS) -lhttp_parser -lm

LIB_DIRS := base netem proxies sim reports live exp
LIB_SRC := $(sort $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CLI_SRC := $(sort $(wildcard cli/*.c))
# tests/tools/ holds programs of their own (each with a main), not suites of the test runner.
TEST_SRC := $(sort $(filter-out tests/tools/%,$(wildcard tests/*.c tests/*/*.c)))
TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TEST_OBJ := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libfaultline.a
BIN := $(BUILD)/faultline
TEST_BIN := $(BUILD)/run-tests
# spancheck validates span exports with jansson.
SPANCHECK := $(BUILD)/spancheck
BENCH_BINS := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all test unit scenario-tests compare-tests sweep-tests token-tests page-tests live-tests lint demo golden asan bench format clean setup

all: $(BIN)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/cli/version.o: ALL_CFLAGS += -DFL_VERSION='"$(VERSION)"' -DFL_GIT='"$(GIT_DESCRIBE)"'

$(LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LIBS)

$(TEST_BIN): $(TEST_OBJ) $(LIB)
	$(CC) $(ALL_CFLAGS) -o $@ $(TEST_OBJ) $(LIB) $(LIBS) $(CUNIT_LIBS) $(JANSSON_LIBS)

$(SPANCHECK): tests/tools/spancheck.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(JANSSON_LIBS)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIB) $(LIBS)

# The README's test command.
test: lint unit scenario-tests compare-tests sweep-tests token-tests page-tests live-tests fuzz-replay

unit: $(TEST_BIN) $(BIN) $(SPANCHECK)
	SPANCHECK=$(SPANCHECK) $(TEST_BIN)

# Sweeps on worker processes, planned and run by GNU parallel, Slurm's and Kubernetes' commands,
# merged (./setup.sh installs parallel).
sweep-tests: $(BIN)
	FAULTLINE=$(BIN) bash tests/sweep.sh

scenario-tests: $(BIN) $(SPANCHECK)
	FAULTLINE=$(BIN) SPANCHECK=$(SPANCHECK) bash tests/scenarios.sh

# `faultline compare` on bundled scenarios: paired and Welch intervals, -j 1 = -j 2, finished runs.
compare-tests: $(BIN)
	FAULTLINE=$(BIN) bash tests/compare.sh

# `faultline token` and `faultline ca` against the openssl command: HMAC, RSA and ECDSA
# signatures, JWK n/e/x/y; roots, SPIFFE certificates, their checks.
token-tests: $(BIN)
	FAULTLINE=$(BIN) bash tests/token.sh && FAULTLINE=$(BIN) bash tests/ca.sh

# Plots, topology and index.html drawn by gnuplot and graphviz and opened in headless Chromium
# (./setup.sh installs the three).
page-tests: $(BIN)
	FAULTLINE=$(BIN) bash tests/pages.sh

# The gateway and stubs on loopback sockets, driven with curl; then hostile clients
# (tests/attack.sh builds its client, tests/live/attack/hostile.c, with $(CC)); then TLS at the
# gateway (tests/tls.sh: openssl s_client and curl); then two sidecars over mutual TLS
# (tests/sidecar.sh).
live-tests: $(BIN) $(SPANCHECK)
	FAULTLINE=$(BIN) SPANCHECK=$(SPANCHECK) bash tests/live.sh && FAULTLINE=$(BIN) CC="$(CC)" bash tests/attack.sh \
		&& FAULTLINE=$(BIN) bash tests/auth.sh \
		&& FAULTLINE=$(BIN) bash tests/tls.sh \
		&& FAULTLINE=$(BIN) bash tests/sidecar.sh \
		&& FAULTLINE=$(BIN) bash tests/redis.sh

lint:
	bash tests/lint.sh

demo: $(BIN)
	$(BIN) run scenarios/checkout.yaml

# Re-records the bundled scenarios' digests and the README's example output (tests/golden.sh).
golden: $(BIN)
	FAULTLINE=$(BIN) bash tests/golden.sh update

# Tests under AddressSanitizer and UndefinedBehaviorSanitizer, in their own build folder.
asan:
	$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined \
		-fno-omit-frame-pointer -fno-sanitize-recover=undefined" unit scenario-tests compare-tests sweep-tests token-tests \
		live-tests \
		fuzz-replay

bench: $(BIN) $(BENCH_BINS)
	BUILD=$(BUILD) PEERS=$(PEERS) bash bench/bench.sh

format:
	clang-format -i $(LIB_SRC) $(CLI_SRC) $(TEST_SRC) $(TOOL_SRC) $(BENCH_SRC) \
		$(wildcard $(foreach d,$(LIB_DIRS) cli tests tests/* bench,$(d)/*.h)) $(FUZZ_SRC) fuzz/fuzz.h

setup:
	./setup.sh

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(TEST_OBJ:.o=.d)

# Fuzzing (fuzz/): one libFuzzer target per file, built with clang and the sanitizers in
# build-fuzz/ and run FUZZ_TIME seconds each by fuzz/run.sh; the same targets linked with
# fuzz/replay.c replay the seed corpus and the past crashes with the normal compiler.
FUZZ_TARGETS := scenario kong istio http1
FUZZ_SRC := $(FUZZ_TARGETS:%=fuzz/%.c) fuzz/replay.c
FUZZ_TIME ?= 60
FUZZ_CC ?= clang
FUZZ_CFLAGS := -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer

.PHONY: fuzz fuzz-bins fuzz-replay
.SECONDARY: $(FUZZ_SRC:%.c=$(BUILD)/obj/%.o)

fuzz:
	@FUZZ_CC=$(FUZZ_CC) bash fuzz/run.sh check
	$(MAKE) BUILD=build-fuzz CC=$(FUZZ_CC) CFLAGS="$(FUZZ_CFLAGS)" fuzz-bins
	BUILD=build-fuzz FUZZ_TIME=$(FUZZ_TIME) bash fuzz/run.sh run $(FUZZ_TARGETS)

fuzz-bins: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/fuzz-%)

$(BUILD)/fuzz/fuzz-%: $(BUILD)/obj/fuzz/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -fsanitize=fuzzer -o $@ $< $(LIB) $(LIBS)

$(BUILD)/fuzz/replay-%: $(BUILD)/obj/fuzz/%.o $(BUILD)/obj/fuzz/replay.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

fuzz-replay: $(FUZZ_TARGETS:%=$(BUILD)/fuzz/replay-%)
	BUILD=$(BUILD) bash fuzz/run.sh replay $(FUZZ_TARGETS)

-include $(FUZZ_SRC:%.c=$(BUILD)/obj/%.d)
