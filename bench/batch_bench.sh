#!/usr/bin/env bash
# Batch throughput across virtual readers: rcperso batch on 1, 2, 4 and 8 readers of a private
# pcscd (scripts/pcsc-stack.sh private_pcsc_up; the machine's pcscd is untouched), a fresh
# SQLite journal each time and a card feeder per reader (no pulls, no faults). Prints readers,
# cards, seconds, cards per hour and the ratio to one reader. rcsim and pcscd run on the same
# host as rcperso, so the scaling stops where the host's cores run out.
#
#   bench/batch_bench.sh BUILD_BIN_DIR [ORDERS_PER_READER]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$1" && pwd)
per_reader=${2:-8}
PORT=36400
MAX_READERS=8
work=$(mktemp -d "${TMPDIR:-/tmp}/batch_bench.XXXXXX")
source "$src/scripts/pcsc-stack.sh"
feeders=()
cleanup() {
  touch "$work/stop"
  for p in "${feeders[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "$work"/reader*.pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null || true; done
  private_pcsc_down  # first: pcscd is a child too, and a bare wait would wait for it
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

private_pcsc_up "$work/pcsc" "$MAX_READERS" "$PORT"
names=()
for ((r = 0; r < MAX_READERS; r++)); do names+=("$(private_reader_name "$r")"); done

issued_on() { grep -F "reader=\"$2\": " "$1" 2>/dev/null | grep -c '^[^ ]* issued ' || true; }

# A fresh blank card whenever the batch logged the previous one issued (cheap to poll: a grep,
# so that the feeders take little of the CPU the batch is measured on).
feeder() {  # feeder R LOG TAG
  local r=$1 log=$2 tag=$3 n=0 pid mark
  while [ ! -e "$work/stop" ]; do
    n=$((n + 1))
    mark=$(issued_on "$log" "${names[$r]}")
    "$BIN/rcsim" --port $((PORT + r)) --state "$work/cards/$tag-$r-$n.card" >/dev/null 2>&1 &
    pid=$!
    echo "$pid" >"$work/reader$r.pid"
    while [ ! -e "$work/stop" ] && [ "$(issued_on "$log" "${names[$r]}")" -le "$mark" ]; do sleep 0.1; done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    "$BIN/pcsc_wait" "${names[$r]}" absent 10000 >/dev/null || true
  done
}

printf '%-8s %-6s %-8s %-11s %s\n' readers cards seconds cards/hour "x one reader"
base=""
for readers in 1 2 4 8; do
  cards=$((readers * per_reader))
  tag=r$readers
  mkdir -p "$work/cards"
  python3 "$src/tests/integration/lib/batch_cards.py" orders "$src/examples" "$work/$tag" "$cards"
  list=$(IFS=,; echo "${names[*]:0:$readers}")
  rm -f "$work/stop"
  feeders=()
  for ((r = 0; r < readers; r++)); do
    feeder "$r" "$work/$tag.log" "$tag" &
    feeders+=($!)
  done
  for ((r = 0; r < readers; r++)); do "$BIN/pcsc_wait" "${names[$r]}" present 10000 >/dev/null; done
  start=$(date +%s.%N)
  "$BIN/rcperso" batch "$work/$tag/orders.jsonl" --readers "$list" --signer "$src/keys-sample/ds-ec" \
    --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --card-profile rcsim --journal "$work/$tag.db" \
    --station bench --operator bench --idle-exit 30 --test-run >"$work/$tag.log" 2>&1 ||
    { echo "batch on $readers readers failed:"; tail -20 "$work/$tag.log"; exit 1; }
  end=$(date +%s.%N)
  touch "$work/stop"
  for p in "${feeders[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -f "$work"/reader*.pid
  issued=$(grep -c '^[^ ]* issued ' "$work/$tag.log" || true)
  [ "$issued" -eq "$cards" ] || { echo "batch on $readers readers issued $issued of $cards"; exit 1; }
  awk -v r="$readers" -v c="$cards" -v s="$start" -v e="$end" -v base="$base" 'BEGIN {
    t = e - s; rate = c * 3600 / t
    printf "%-8d %-6d %-8.1f %-11.0f %s\n", r, c, t, rate, base == "" ? "1.00" : sprintf("%.2f", rate / base)
  }'
  [ -n "$base" ] || base=$(awk -v c="$cards" -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", c * 3600 / (e - s) }')
done
