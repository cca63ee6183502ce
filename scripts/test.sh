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
if ((${#missing[@]})); then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "test.sh: installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
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
trap 'rm -f "$log"' EXIT
race=(-race)
if [ "${KSEF_TEST_RACE:-1}" = 0 ]; then race=(); fi
rc=0
go test "${race[@]}" -count=1 -timeout 60m -v "$@" ./... >"$log" 2>&1 || rc=$?
# A package's output ends with its "ok"/"FAIL" line: name each figure by it.
awk '/^[ \t]+[^ ]+\.go:[0-9]+: .*agree [0-9]+\/[0-9]+|^operations covered:|^wire types checked:|^TestE2ESendWithFaults:|send rate:/ {
       sub(/^[ \t]+/, ""); buf[n++] = $0; next }
     /^(ok|FAIL)[ \t]/ { for (i = 0; i < n; i++) print $2 ": " buf[i]; n = 0 }' "$log"
if [ "$rc" -ne 0 ]; then
  echo "test.sh: failures (full output of the failing tests follows)" >&2
  grep -E -B2 -A40 -- '^(--- FAIL|FAIL|panic:)' "$log" >&2 || cat "$log" >&2
  # The race detector's reports come before the failing test's line: print
  # the first ones whole (they name both goroutines' stacks).
  awk '/^WARNING: DATA RACE/ { p = 1; n++ } p && n <= 3 { print } /^==================$/ { p = 0 }' "$log" | head -n 300 >&2
fi
grep -E '^(ok|FAIL|\?) ' "$log"
exit "$rc"
