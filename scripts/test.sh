#!/usr/bin/env bash
# Runs the whole test suite. Installs the Debian packages the tests use as
# oracles when they are missing (needs root or sudo), then checks formatting,
# vets and tests every package.
set -euo pipefail
cd "$(dirname "$0")/.."

# program:package pairs for the independent oracles used by the tests.
oracles=(xmlsec1:xmlsec1 xmllint:libxml2-utils openssl:openssl zbarimg:zbar-tools
         pdftotext:poppler-utils pdftoppm:poppler-utils)
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
go test -count=1 -timeout 30m "$@" ./...
