#!/usr/bin/env bash
# Benchmarks the batch packer (internal/batchpack) against its yardsticks
# in one run and prints the ratios and the peak memory:
#   (a) stored ZIP vs `openssl enc -aes-256-cbc` over the same bytes;
#   (b) deflate ZIP vs `zip -1`, `sha256sum`, `openssl enc`, `sha256sum`;
#   peak RSS of packing 100 MiB and KSEF_BENCH_PACK_MIB (default 1024).
# The invoices (FA(3) XML varied from the official sample) are generated
# once into ${TMPDIR:-/tmp}/ksef-batchpack-bench-<MiB> (about twice the
# size on disk: the files and their concatenation) and reused.
# Environment: KSEF_BENCH_PACK_MIB (1024), KSEF_BENCH_PACK_ROUNDS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in openssl zip unzip sha256sum; do
  command -v "$tool" >/dev/null || { echo "bench-batchpack.sh: $tool is missing (apt-get install $tool)" >&2; exit 1; }
done
exec go test -run '^$' -bench '^BenchmarkPacker$' -benchtime 1x -timeout 60m ./internal/batchpack/
