#!/usr/bin/env bash
# Runs the whole test suite with the race detector. Installs the Debian
# packages the tests use as oracles when they are missing (needs root or
# sudo), then checks formatting, vets and tests every package. Extra
# arguments go to go test (e.g. -run). The race detector needs cgo and a C
# compiler; KSEF_TEST_RACE=0 runs without it.
set -euo pipefail
cd "$(dirname "$0")/.."

# program:package pairs for the independent oracles used by the tests, and
# the C compiler the race detector needs.
oracles=(xmlsec1:xmlsec1 xmllint:libxml2-utils openssl:openssl zbarimg:zbar-tools
         pdftotext:poppler-utils pdftoppm:poppler-utils unzip:unzip ncal:ncal gcc:gcc)
missing=()
for pair in "${oracles[@]}"; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair#*:}")
done
# PostgreSQL (the server behind the ksefsync/pgstore tests) is not on PATH
# in Debian: look for its initdb.
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "${KSEF_TEST_POSTGRES:-}" ] && [ ! -x "$(pgbin)/initdb" ]; then
  missing+=(postgresql)
fi
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A throwaway PostgreSQL cluster for the pgstore tests, unless
# KSEF_TEST_POSTGRES already names a server: initdb into a temporary
# directory (as the postgres user when run as root: initdb refuses root),
# listening on 127.0.0.1 at a free port, stopped and removed on exit.
pgdir=""
cleanup() {
  if [ -n "$pgdir" ]; then
    $pgrun "$(pgbin)/pg_ctl" -D "$pgdir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
  fi
  rm -f "${log:-}"
}
trap cleanup EXIT
if [ -z "${KSEF_TEST_POSTGRES:-}" ]; then
  pgdir=$(mktemp -d "${TMPDIR:-/tmp}/ksef-pg.XXXXXX")
  pgrun=""
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$pgdir"; pgrun="runuser -u postgres --"; fi
  pgport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
  $pgrun "$(pgbin)/initdb" -D "$pgdir/data" -U postgres --auth=trust -E UTF8 >/dev/null
  $pgrun "$(pgbin)/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -k $pgdir -c fsync=off" start >/dev/null
  export KSEF_TEST_POSTGRES="postgres://postgres@127.0.0.1:$pgport/postgres?sslmode=disable"
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "test.sh: gofmt needed on:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...

# Run verbosely into a log so that the figures the tests report (contract
# coverage, differential agreement with xmllint) reach the console even for
# passing packages; print the package results and those figures, and the whole
# log of any failing package.
log=$(mktemp "${TMPDIR:-/tmp}/ksef-test.XXXXXX")
race=(-race)
if [ "${KSEF_TEST_RACE:-1}" = 0 ]; then race=(); fi
rc=0
go test "${race[@]}" -count=1 -timeout 60m -v "$@" ./... >"$log" 2>&1 || rc=$?
# The crash-safety loops start dozens of sync processes and skip under the
# race detector; run them without it.
if [ "${#race[@]}" -gt 0 ] && [ "$#" -eq 0 ]; then
  go test -count=1 -timeout 30m -v -run 'TestCrashSafety' ./ksefsync/storeurl/ >>"$log" 2>&1 || rc=$?
fi
# A package's output ends with its "ok"/"FAIL" line: name each figure by it.
awk '/^[ \t]+[^ ]+\.go:[0-9]+: .*agree [0-9]+\/[0-9]+|^operations covered:|^wire types checked:|^TestE2ESendWithFaults:|send rate:|^crash safety |^three workers |^sync e2e:|^sync bench/ {
       sub(/^[ \t]+/, ""); buf[n++] = $0; next }
     /^(ok|FAIL)[ \t]/ { for (i = 0; i < n; i++) print $2 ": " buf[i]; n = 0 }' "$log"
if [ "$rc" -ne 0 ]; then
  echo "test.sh: failures (full output of the failing tests follows)" >&2
  grep -E -B40 -A40 -- '^(--- FAIL|FAIL|panic:)' "$log" >&2 || cat "$log" >&2
  # The race detector's reports come before the failing test's line: print
  # the first ones whole (they name both goroutines' stacks).
  awk '/^WARNING: DATA RACE/ { p = 1; n++ } p && n <= 3 { print } /^==================$/ { p = 0 }' "$log" | head -n 300 >&2
fi
grep -E '^(ok|FAIL|\?) ' "$log"
exit "$rc"
