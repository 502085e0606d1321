#!/usr/bin/env bash
# Every test of the project: C unit tests (kernels, GGUF reader, JSON,
# tokenizer, engine), the aarch64 kernels under qemu, parity against
# llama.cpp, and on a temporary cluster the pg_regress suite and the
# cancellation test.  Installs what it needs on Debian 12 first.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

# node and npm run the llama.cpp peer (test/synth_peer.sh); Debian's when the machine has none
# clang (with its sanitizer and libFuzzer runtimes) and valgrind: check-asan,
# check-tsan, check-valgrind and check-fuzz
install_deps $(command -v npm >/dev/null || echo nodejs npm) gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user unicode-data \
	clang libclang-rt-14-dev valgrind
build

status=0
log=$(mktemp)
run() {
	echo "== $*"
	if "$@" 2>&1 | tee -a "$log"; then return 0; fi
	status=1
	return 1
}

run make -s check-unit || true
run make -s check-cli || true
run python3 scripts/gen_unicode.py --check || true
run make -s check-arm || true
run make -s check-arm-parity || true
run make -s check-parity || true
run bash test/synth_peer.sh || true
# sanitizers and fuzzing (docs/testing.md; about 10 minutes on 2 cores): unit
# tests and parity under ASan+UBSan, the worker pool under TSan, a generation
# under valgrind, then every fuzzer's regression inputs and 30 s of fuzzing
run make -s -j2 check-asan || true
run make -s -j2 check-tsan || true
run make -s check-valgrind || true
run make -s -j2 check-fuzz FUZZ_SECONDS=30 || true

start_cluster
mkdir -p build/regress
if ! run make -s installcheck; then
	cat build/regress/regression.diffs 2>/dev/null || true
fi
run make -s check-cancel || true
run bash test/scripts.sh || true
# load with random cancels and timeouts, pool on and off (short form; the
# long one: docs/testing.md)
run bash test/load.sh --clients 8 --seconds 30 || true
# TAP: servers of their own (shared pool, restarts, a standby)
run make -s check-tap || true

# One closing line over every suite: each C suite and the parity check end
# with "N passed, M failed", pg_regress with "All N tests passed." or
# "M of N tests failed.", prove with "Files=F, Tests=N" and "Failed X/N".
awk '
	/^([a-z_-]+: )?[0-9]+ passed, [0-9]+ failed/ { sub(/^[a-z_-]+: /, ""); p += $1; f += $3 }
	/All [0-9]+ tests passed/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { p += $i; break } }
	/[0-9]+ of [0-9]+ tests failed/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+$/) { f += $i; p += $(i + 2) - $i; break } }
	/^Files=[0-9]+, Tests=[0-9]+/ { split($2, t, "="); sub(/,/, "", t[2]); p += t[2] }
	/^Failed [0-9]+\/[0-9]+ subtests/ { split($2, t, "/"); f += t[1]; p -= t[1] }
	END { printf "total: %d passed, %d failed\n", p, f }
' "$log"
rm -f "$log"
exit $status
