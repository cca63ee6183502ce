#!/usr/bin/env bash
# End-to-end benchmark of batch sending: N FA(3) invoices (default 10,000)
# through `ksef send --batch` into `ksef sim serve` (rate limits off), timed
# as a user runs it, printed as invoices per second. In the same run, as a
# yardstick, ONLINE_N of the same invoices (default 500) go through
# `ksef send --online` into the same simulator; the ratio of the two rates
# says what batch sessions buy. Peak RSS of the batch `ksef send` is printed
# when GNU time is installed (apt-get install time).
#
#   scripts/bench-batch-send.sh
#   N=2000 ONLINE_N=200 scripts/bench-batch-send.sh
#   KSEF_BIN=/path/to/ksef scripts/bench-batch-send.sh
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-10000}
online_n=${ONLINE_N:-500}

tmp=$(mktemp -d)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
bin=${KSEF_BIN:-}
if [ -z "$bin" ]; then
  bin=$tmp/ksef
  go build -o "$bin" ./cmd/ksef
fi
export XDG_CONFIG_HOME=$tmp/config

"$bin" sim serve --addr 127.0.0.1:0 --identity-dir "$tmp/id" --no-rate-limits -o json >"$tmp/serve.json" 2>"$tmp/serve.err" &
pid=$!
for _ in $(seq 100); do
  grep -q loginCommand "$tmp/serve.json" 2>/dev/null && break
  sleep 0.1
done
base=$(sed -n 's/.*"baseUrl": "\([^"]*\)".*/\1/p' "$tmp/serve.json")
nip=$(sed -n 's/.*"nip": "\([^"]*\)".*/\1/p' "$tmp/serve.json")
"$bin" auth login --base-url "$base" --cert "$tmp/id/cert.pem" --key "$tmp/id/key.pem" --nip "$nip" >/dev/null

# One invoice made by the CLI, then N copies with unique numbers (P_2).
today=$(date -u +%F)
cat >"$tmp/inv.json" <<JSON
{"kind": "VAT", "number": "FV/BENCH/TEMPLATE", "issueDate": "$today",
 "seller": {"nip": "$nip", "name": "Sprzedawca S.A.", "addressLine1": "ul. Kwiatowa 1", "addressLine2": "00-001 Warszawa"},
 "buyer": {"nip": "7773152431", "name": "Nabywca Sp. z o.o.", "addressLine1": "ul. Polna 1", "addressLine2": "00-001 Warszawa"},
 "lines": [{"name": "Usługa programistyczna", "unit": "h", "quantity": "12", "unitPrice": "180.00", "rate": "23"},
           {"name": "Licencja", "unit": "szt.", "quantity": "1", "unitPrice": "1200.00", "rate": "23"}]}
JSON
"$bin" invoice new "$tmp/inv.json" --out "$tmp/template.xml" >/dev/null
gen() { # gen DIR PREFIX COUNT
  mkdir -p "$1"
  awk -v dir="$1" -v prefix="$2" -v n="$3" '
    { lines[NR] = $0 }
    END {
      for (i = 1; i <= n; i++) {
        f = sprintf("%s/%06d.xml", dir, i)
        for (j = 1; j <= NR; j++) { l = lines[j]; sub(/FV\/BENCH\/TEMPLATE/, prefix "/" i, l); print l > f }
        close(f)
      }
    }' "$tmp/template.xml"
}
gen "$tmp/batch" "FV/B" "$n"
gen "$tmp/online" "FV/O" "$online_n"
small_n=$((n / 10))
gen "$tmp/small" "FV/S" "$small_n"
bytes=$(du -sb "$tmp/batch" | cut -f1)
echo "bench-batch-send: $n invoices ($((bytes / 1000)) kB of XML), $(nproc) CPU(s), $base" >&2

now() { date +%s.%N; }
timed=()
if [ -x /usr/bin/time ]; then timed=(/usr/bin/time -f "%M" -o "$tmp/rss"); fi

rss_small=""
if [ ${#timed[@]} -gt 0 ]; then
  /usr/bin/time -f "%M" -o "$tmp/rss-small" "$bin" send "$tmp/small" --batch --receipt "$tmp/small.json" --timeout 0 >/dev/null
  rss_small=$(( $(tail -1 "$tmp/rss-small") / 1024 ))
fi
t0=$(now)
"${timed[@]}" "$bin" send "$tmp/batch" --batch --receipt "$tmp/batch.json" --timeout 0 --wait-timeout 10m >/dev/null
t1=$(now)
"$bin" send "$tmp/online" --online --receipt "$tmp/online.json" --timeout 0 >/dev/null
t2=$(now)

ok=$(grep -c '"status": "registered"' "$tmp/batch.json" || true)
ok_online=$(grep -c '"status": "registered"' "$tmp/online.json" || true)
sessions=$(sed -n '/"sessions"/,/]/p' "$tmp/batch.json" | grep -c -- '-SB-' || true)
awk -v n="$n" -v on="$online_n" -v t0="$t0" -v t1="$t1" -v t2="$t2" -v ok="$ok" -v okon="$ok_online" -v s="$sessions" 'BEGIN {
  b = n / (t1 - t0); o = on / (t2 - t1)
  printf "batch:  %d invoices in %.2f s = %.0f invoices/s (%d registered, %d batch session(s))\n", n, t1 - t0, b, ok, s
  printf "online: %d invoices in %.2f s = %.0f invoices/s (%d registered; yardstick, same simulator, no rate limits)\n", on, t2 - t1, o, okon
  printf "ratio batch/online: %.1f\n", b / o
}'
if [ -s "$tmp/rss" ]; then
  echo "peak RSS of ksef send --batch: $(( $(tail -1 "$tmp/rss") / 1024 )) MiB for $n invoices, $rss_small MiB for $small_n"
fi
if [ "$ok" -ne "$n" ]; then echo "bench-batch-send: only $ok of $n registered" >&2; exit 1; fi
