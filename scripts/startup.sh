#!/usr/bin/env bash
# Measures the start-up time of the ksef command: builds cmd/ksef and runs
# `ksef version` many times, printing the mean and median wall time. Uses
# hyperfine when installed (apt-get install hyperfine), else a shell loop
# timed with date(1). The goal is under 10 ms. For scale on a busy machine
# it also measures an empty Go program (hello), the floor of any Go binary,
# and counts the page faults of one run of each, which a loaded machine
# does not change (each costs tens of microseconds in a virtual machine).
# The binary is built static (CGO_ENABLED=0), as releases are: a binary
# linked against libc pays for the dynamic loader at every start.
#
# Two more floors show what any client pays on this machine before ksef's
# own work: "net/http + cobra" links what every HTTPS command-line tool
# links (net/http, crypto/x509, encoding/json and encoding/xml, cobra) and
# does nothing; "SDK + cobra" links the SDK package github.com/ksef2/ksef
# and cobra and does nothing. When those are above the goal, the goal
# cannot be met on this machine by any ksef binary.
#
#   scripts/startup.sh            # 200 runs
#   RUNS=1000 scripts/startup.sh
#   KSEF_BIN=/path/to/ksef scripts/startup.sh   # measure an existing binary
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-200}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=${KSEF_BIN:-}
if [ -z "$bin" ]; then
  bin=$tmp/ksef
  CGO_ENABLED=0 go build -trimpath -o "$bin" ./cmd/ksef
fi
echo "startup.sh: $bin version, $runs runs" >&2

# An empty Go program, built the same way: the floor of the machine.
mkdir -p "$tmp/hello"
printf 'module hello\n\ngo 1.26\n' >"$tmp/hello/go.mod"
printf 'package main\n\nimport "os"\n\nfunc main() { os.Stdout.WriteString("hello\\n") }\n' >"$tmp/hello/main.go"
(cd "$tmp/hello" && CGO_ENABLED=0 go build -trimpath -o "$tmp/hello/hello" .)

# The two floors are built inside this module (they import its
# dependencies) from a directory the go tool's patterns ignore.
floor() { # name, imports...
  local name=$1; shift
  local dir
  dir=$(mktemp -d "$PWD/_startup_floor.XXXXXX")
  { printf 'package main\n\nimport (\n\t"os"\n'
    for p in "$@"; do printf '\t_ "%s"\n' "$p"; done
    printf ')\n\nfunc main() { os.Stdout.WriteString("floor\\n") }\n'; } >"$dir/main.go"
  CGO_ENABLED=0 go build -trimpath -o "$tmp/$name" "./$(basename "$dir")" || { rm -rf "$dir"; exit 1; }
  rm -rf "$dir"
}
floor nethttp net/http crypto/x509 encoding/json encoding/xml github.com/spf13/cobra
floor sdk github.com/ksef2/ksef github.com/spf13/cobra

# Page faults of one run (minor + major), from getrusage via GNU time.
faults() { # command...
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%R %F' "$@" 2>&1 >/dev/null | tail -1 | awk '{print $1 + $2}'
  else
    echo "?"
  fi
}
echo "page faults: ksef version $(faults "$bin" version), hello $(faults "$tmp/hello/hello"), net/http + cobra $(faults "$tmp/nethttp"), SDK + cobra $(faults "$tmp/sdk")"

if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --shell=none --warmup 10 --runs "$runs" --export-json "$tmp/startup.json" \
    -n "ksef version" "$bin version" -n "hello (empty Go program)" "$tmp/hello/hello" \
    -n "net/http + cobra (links, runs nothing)" "$tmp/nethttp" -n "SDK + cobra (links, runs nothing)" "$tmp/sdk" >&2
  # Mean and median in milliseconds from hyperfine's JSON export.
  python3 - "$tmp/startup.json" <<'PY' 2>/dev/null || true
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['command']}: mean {r['mean']*1000:.2f} ms, median {r['median']*1000:.2f} ms, min {r['min']*1000:.2f} ms over {len(r['times'])} runs")
PY
  exit 0
fi

# Fallback: time each run in nanoseconds and sort for the median.
measure() { # name, command...
  local name=$1; shift
  for _ in $(seq 10); do "$@" >/dev/null; done
  local times=() t0 t1
  for _ in $(seq "$runs"); do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    times+=($((t1 - t0)))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v n="$runs" -v name="$name" '
    { t[NR] = $1; s += $1 }
    END {
      med = (n % 2) ? t[(n + 1) / 2] : (t[n / 2] + t[n / 2 + 1]) / 2
      printf "%s: mean %.2f ms, median %.2f ms, min %.2f ms over %d runs\n", name, s / n / 1e6, med / 1e6, t[1] / 1e6, n
    }'
}
measure "ksef version" "$bin" version
measure "hello (empty Go program)" "$tmp/hello/hello"
measure "net/http + cobra (links, runs nothing)" "$tmp/nethttp"
measure "SDK + cobra (links, runs nothing)" "$tmp/sdk"
