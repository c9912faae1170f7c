#!/usr/bin/env bash
# Batches across more readers than the system pcscd's two vpcd slots: a private pcscd of this
# test's own (scripts/pcsc-stack.sh private_pcsc_up) with 4 virtual readers and a card feeder
# per reader. Part 1: 200 orders (BATCH_READERS_ORDERS) on 4 readers with random card pulls and
# cards that refuse a write; every order ends issued exactly once (on one locked card) or failed
# with a reason. Part 2: two rcperso processes (stations) with 2 readers each sharing one
# PostgreSQL journal; no order issued twice, all issued, both stations issued some.
set -uo pipefail
src=$1
BIN=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/batch_readers.XXXXXX")
source "$src/scripts/pcsc-stack.sh"
source "$src/tests/integration/lib/postgres.sh"
ORDERS_COUNT=${BATCH_READERS_ORDERS:-200}
PG_ORDERS=${BATCH_PG_ORDERS:-40}
READERS=4
PORT=36300
helper="python3 $src/tests/integration/lib/batch_cards.py"
background=()
batch_pids=()
cleanup() {
  touch "$work/stop"
  for p in "${background[@]}"; do kill "$p" 2>/dev/null; done
  for p in "$work"/reader*.pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  for p in "${batch_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
  private_pcsc_down  # first: pcscd is a child too, and a bare wait would wait for it
  wait 2>/dev/null
  pg_down
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/integration/lib/checks.sh"

if ! private_pcsc_up "$work/pcsc" "$READERS" "$PORT"; then
  echo "FAIL: cannot start a private pcscd with $READERS vpcd readers"
  exit 1
fi
names=()
for ((r = 0; r < READERS; r++)); do names+=("$(private_reader_name "$r")"); done

# How many times the batch logged giving up on the card in reader R (a retry, a failed or
# spoiled order, a skipped card): a card for which that count went up is taken out and set
# aside. A failed preparation leaves the card blank for the next order, so it does not count.
spent_count() {  # spent_count LOG READER_NAME
  grep -F "reader=\"$2\": " "$1" 2>/dev/null | grep -E '^[^ ]+ (retry|failed|spoiled|card skipped) ' |
    grep -vc ': preparation: '
}

# A card feeder for reader R: a fresh blank card whenever the previous one is done (locked and
# issued in the journal, or given up by the batch). Every fifth card vanishes after a random
# number of APDUs (a card pulled mid-write) and goes back in; with FAULTS, every sixth card
# answers UPDATE BINARY with 6581 (memory failure).
feeder() {  # feeder R JOURNAL BATCH_LOG FAULTS
  local r=$1 journal=$2 log=$3 faults=$4 n=0 state pid args mark spent
  while [ ! -e "$work/stop" ]; do
    n=$((n + 1))
    state=$work/cards/reader$r-$n.card
    args=()
    if [ $((n % 5)) -eq 1 ]; then args=(--vanish-after $((20 + RANDOM % 120))); fi
    if [ "$faults" -eq 1 ] && [ $((n % 6)) -eq 4 ]; then args=(--fail 00D6=6581); fi
    mark=$(spent_count "$log" "${names[$r]}")
    while [ ! -e "$work/stop" ]; do
      "$BIN/rcsim" --port $((PORT + r)) --state "$state" "${args[@]}" >>"$work/rcsim$r.log" 2>&1 &
      pid=$!
      disown "$pid"
      echo "$pid" >"$work/reader$r.pid"
      [ "${args[0]:-}" = "--vanish-after" ] && args=()
      spent=0
      while kill -0 "$pid" 2>/dev/null && [ ! -e "$work/stop" ]; do
        if $helper done "$state" "$journal"; then break; fi
        if [ "$(spent_count "$log" "${names[$r]}")" -gt "$mark" ]; then spent=1; break; fi
        sleep 0.3
      done
      kill "$pid" 2>/dev/null
      "$BIN/pcsc_wait" "${names[$r]}" absent 10000 >/dev/null
      if [ "$spent" -eq 1 ]; then echo "reader $r: card $n given up by the batch, set aside" >>"$work/feeder.log"; break; fi
      if $helper done "$state" "$journal"; then break; fi
      echo "reader $r: card $n pulled, going back in" >>"$work/feeder.log"
    done
  done
}

puller() {  # puller SECONDS: kill the card in a random reader now and then
  local until=$((SECONDS + $1))
  while [ "$SECONDS" -lt "$until" ] && [ ! -e "$work/stop" ]; do
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 2 + (r % 400) / 100 }')"
    local r=$((RANDOM % READERS))
    [ -s "$work/reader$r.pid" ] && kill -9 "$(cat "$work/reader$r.pid")" 2>/dev/null && echo "pulled reader $r" >>"$work/feeder.log"
  done
}

stop_feeders() {
  touch "$work/stop"
  for p in "${background[@]}"; do kill "$p" 2>/dev/null; done
  wait "${background[@]}" 2>/dev/null
  background=()
  for p in "$work"/reader*.pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  for ((r = 0; r < READERS; r++)); do "$BIN/pcsc_wait" "${names[$r]}" absent 10000 >/dev/null; done
  rm -f "$work/stop" "$work"/reader*.pid
}

retries=1
batch() {  # batch ORDERS JOURNAL STATION READER_LIST LOG (with --retries $retries)
  "$BIN/rcperso" batch "$1" --readers "$4" --signer "$src/keys-sample/ds-ec" \
    --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --card-profile rcsim --journal "$2" \
    --station "$3" --operator tester --retries "$retries" --idle-exit 60 --test-run >"$5" 2>&1 &
  batch_pids+=($!)
}

# --- part 1: 200 orders on 4 readers, SQLite journal, pulls and faults ------------------------
mkdir -p "$work/cards"
$helper orders "$src/examples" "$work/orders" "$ORDERS_COUNT" || exit 1
journal=$work/perso.db
all_readers=$(IFS=,; echo "${names[*]}")
start=$SECONDS
batch "$work/orders/orders.jsonl" "$journal" station-a "$all_readers" "$work/run.log"
for ((r = 0; r < READERS; r++)); do
  feeder "$r" "$journal" "$work/run.log" 1 &
  background+=($!)
done
puller 100000 &
background+=($!)
wait "${batch_pids[0]}"
rc=$?
batch_pids=()
elapsed=$((SECONDS - start))
stop_feeders
echo "part 1: $ORDERS_COUNT orders on $READERS readers in $elapsed s (exit $rc)"
issued=$(sqlite3 "$journal" "SELECT COUNT(*) FROM orders WHERE state='issued'")
# review: a card pulled while its lock was answered, and another card in its place; the operator
# finds it (a reason is required, checked below).
failed=$(sqlite3 "$journal" "SELECT COUNT(*) FROM orders WHERE state IN ('failed','spoiled','review')")
# Exit 0 only when all were issued; 1 when some failed. Anything else is a crash or a refusal.
if [ "$rc" -eq 0 ] || { [ "$rc" -eq 1 ] && [ "$failed" -gt 0 ]; }; then pass=$((pass + 1)); else
  echo "FAIL: part 1: rcperso batch exited $rc with $failed failed orders"
  tail -30 "$work/run.log" | sed 's/^/    /'
  fail=$((fail + 1))
fi
contains "part 1: summary" "$work/run.log" "summary: $ORDERS_COUNT orders: $issued issued"
check "part 1: each order issued exactly once on one locked card, or failed with a reason" 0 \
  $helper check "$journal" "$work/cards" --allow-failed
cat "$work/out"
[ $((issued + failed)) -eq "$ORDERS_COUNT" ] && pass=$((pass + 1)) ||
  { echo "FAIL: part 1: $issued issued + $failed failed of $ORDERS_COUNT"; fail=$((fail + 1)); }
# Faults and pulls cost at most a few orders their second attempt; most must be issued.
[ "$issued" -ge $((ORDERS_COUNT * 3 / 4)) ] && pass=$((pass + 1)) ||
  { echo "FAIL: part 1: only $issued of $ORDERS_COUNT issued"; fail=$((fail + 1)); }
refused=$(grep -c 'the card refused it' "$work/run.log")
[ "$refused" -gt 0 ] && pass=$((pass + 1)) || { echo "FAIL: part 1: no card refused a write"; fail=$((fail + 1)); }
for ((r = 0; r < READERS; r++)); do
  n=$(sqlite3 "$journal" "SELECT COUNT(*) FROM orders WHERE state='issued' AND reader='${names[$r]}'")
  echo "  ${names[$r]}: $n issued"
  [ "$n" -gt 0 ] && pass=$((pass + 1)) || { echo "FAIL: part 1: reader ${names[$r]} issued nothing"; fail=$((fail + 1)); }
done
sqlite3 "$journal" "SELECT order_id, state, failure FROM orders WHERE state <> 'issued'" | sed 's/^/  /' | head -20
sed 's/ card [0-9]*//' "$work/feeder.log" 2>/dev/null | sort | uniq -c | sed 's/^/  /'

# --- part 2: two stations, 2 readers each, one PostgreSQL journal --------------------------------
if ! pg_up "$work/pg" 36390; then
  echo "FAIL: cannot start PostgreSQL"
  exit 1
fi
$helper orders "$src/examples" "$work/pg-orders" "$PG_ORDERS" || exit 1
sed -i 's/"RC2000/"RC4000/; s/"order-/"pg-order-/' "$work/pg-orders/orders.jsonl"
rm -f "$work"/cards/*.card
retries=5  # no write faults here, only cards vanishing mid-write: every order is issued in the end
batch "$work/pg-orders/orders.jsonl" "$PG_URI" station-east "${names[0]},${names[1]}" "$work/east.log"
batch "$work/pg-orders/orders.jsonl" "$PG_URI" station-west "${names[2]},${names[3]}" "$work/west.log"
for ((r = 0; r < READERS; r++)); do
  log=$work/east.log
  [ "$r" -ge 2 ] && log=$work/west.log
  feeder "$r" "$PG_URI" "$log" 0 &
  background+=($!)
done
rc_east=0 rc_west=0
wait "${batch_pids[0]}" || rc_east=$?
wait "${batch_pids[1]}" || rc_west=$?
batch_pids=()
stop_feeders
# A station ends when nothing is pending and no order is in flight, its own or the other station's
# (it waits for those: one may come back pending), so its summary shows none in flight. A card
# pulled while its lock was answered, with another put in its place, leaves its order for review
# (exit 1); at most one such order per station.
station_ok() {  # station_ok RC LOG
  grep -q -E ' 0 pending, 0 in flight;' "$2" || return 1
  [ "$1" -eq 0 ] || { [ "$1" -eq 1 ] && grep -q -E ' 0 failed, 0 spoiled, [01] for review, 0 pending' "$2"; }
}
station_ok "$rc_east" "$work/east.log" && station_ok "$rc_west" "$work/west.log" && pass=$((pass + 1)) || {
  echo "FAIL: part 2: station exits east=$rc_east west=$rc_west"
  tail -n 15 "$work/east.log" "$work/west.log" | sed 's/^/    /'
  fail=$((fail + 1))
}
check "part 2: every order issued exactly once, on one locked card (or for review with a reason)" 0 \
  $helper check "$PG_URI" "$work/cards" --allow-failed
cat "$work/out"
# Per station from the journal (a station's log names orders it recovered in other words).
for station in east west; do
  n=$(psql "$PG_URI" -tAc "SELECT COUNT(*) FROM orders WHERE state = 'issued' AND station = 'station-$station'")
  echo "  station-$station issued $n"
  [ "${n:-0}" -gt 0 ] && pass=$((pass + 1)) || { echo "FAIL: part 2: station-$station issued nothing"; fail=$((fail + 1)); }
done
both=$(cat "$work/east.log" "$work/west.log" | grep -o ' issued order=[^ ]*' | sort | uniq -d | wc -l)
[ "$both" -eq 0 ] && pass=$((pass + 1)) || { echo "FAIL: part 2: $both orders issued by both stations"; fail=$((fail + 1)); }
total=$(psql "$PG_URI" -tAc "SELECT COUNT(*) FROM orders WHERE state = 'issued'")
review=$(psql "$PG_URI" -tAc "SELECT COUNT(*) FROM orders WHERE state = 'review'")
[ "$total" -ge $((PG_ORDERS - 2)) ] && [ $((total + review)) -eq "$PG_ORDERS" ] && pass=$((pass + 1)) ||
  { echo "FAIL: part 2: the journal has $total issued and $review for review, of $PG_ORDERS"; fail=$((fail + 1)); }

echo "batch_readers: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
