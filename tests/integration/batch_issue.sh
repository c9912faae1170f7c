#!/usr/bin/env bash
# Batch issuance through the real PC/SC stack: pcscd, vpcd's two reader slots
# and a card feeder per slot that puts a fresh blank rcsim card in whenever
# the previous one is locked, issued and taken out. Cards are pulled out in
# the middle of their run (rcsim killed, or vanishing after some APDUs) and
# put back; rcperso itself is killed with SIGKILL at several points and
# restarted. At the end every order is issued exactly once: the journal says
# so, and each issued EF.SOD is on exactly one locked card.
set -uo pipefail
src=$1
BIN=$2
work=$(mktemp -d "${TMPDIR:-/tmp}/batch_issue.XXXXXX")
source "$src/scripts/pcsc-stack.sh"
ORDERS_COUNT=${BATCH_ORDERS:-24}
helper="python3 $src/tests/integration/lib/batch_cards.py"
feeders=()
cleanup() {
  touch "$work/stop"
  for f in "${feeders[@]}"; do kill "$f" 2>/dev/null; done
  for p in "$work"/slot*.pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  [ -n "${batch_pid:-}" ] && kill -9 "$batch_pid" 2>/dev/null
  pcsc_down  # first: a pcscd this test started is a child too, and a bare wait would wait for it
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/integration/lib/checks.sh"
# The main run re-reads its orders after they are issued (the re-run and changed-order cases): the
# profiles found first keep input images. The terminal run at the end uses the shipped profile,
# which erases them.
mkdir -p "$work/profiles/documents"
for f in "$src"/profiles/documents/*.json; do
  sed 's/"input_images": "erase"/"input_images": "keep"/' "$f" >"$work/profiles/documents/$(basename "$f")"
done
export RCPERSO_PROFILES=$work/profiles

# The system pcscd's two vpcd slots. More readers through one pcscd are not possible with
# Debian's vpcd: a second DEVICENAME entry (another port) in one pcscd gives readers whose
# APDUs cross (measured: status words like 3105 and 0002 from the wrong card), so 4 or 8
# virtual readers need a vpcd built with more slots per device, or one isolated pcscd per two
# readers with one rcperso process each, sharing the journal.
if ! PCSC_LOG=$work/pcscd.log pcsc_up; then
  echo "FAIL: cannot run pcscd with the vpcd virtual reader; this test needs the real PC/SC stack"
  exit 1
fi
READERS=2
ports=(35963 35964)
names=("$(reader_name 0)" "$(reader_name 1)")
reader_list=$(IFS=,; echo "${names[*]}")
journal=$work/perso.db
mkdir -p "$work/cards"
$helper orders "$src/examples" "$work/orders" "$ORDERS_COUNT" || exit 1

# --- a card feeder per slot ----------------------------------------------------
# A card is done when it is locked and the journal has its EF.SOD issued; it is
# then taken out and a new blank card goes in. A card that was pulled goes back
# in (torn cards are erased and written again; a card pulled while being locked
# is recognised by its EF.SOD). The first card of each slot, and every fifth,
# vanishes after a random number of APDUs, like a card pulled mid-write.
feeder() {
  local slot=$1 n=0 state pid vanish
  while [ ! -e "$work/stop" ]; do
    n=$((n + 1))
    state=$work/cards/slot$slot-$n.card
    vanish=()
    if [ $((n % 5)) -eq 1 ]; then vanish=(--vanish-after $((20 + RANDOM % 120))); fi
    while [ ! -e "$work/stop" ]; do
      # The third card of slot 0 takes the lock and vanishes before answering it (put back in
      # with the same fault if something else pulled it out before its lock).
      if [ "$slot" -eq 0 ] && [ "$n" -eq 3 ] && ! grep -qs '"lifecycle":"locked"' "$state"; then
        vanish=(--vanish-on 00DADEAD)
      fi
      "$BIN/rcsim" --port "${ports[$slot]}" --state "$state" "${vanish[@]}" >>"$work/rcsim$slot.log" 2>&1 &
      pid=$!
      disown "$pid"  # its SIGKILL by the puller is expected, not news
      echo "$pid" >"$work/slot$slot.pid"
      vanish=()
      while kill -0 "$pid" 2>/dev/null && [ ! -e "$work/stop" ]; do
        if $helper done "$state" "$journal"; then break; fi
        sleep 0.3
      done
      kill "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
      "$BIN/pcsc_wait" "${names[$slot]}" absent 10000 >/dev/null
      if $helper done "$state" "$journal"; then break; fi
      echo "slot $slot: card $n pulled, going back in" >>"$work/feeder.log"
    done
  done
}
for ((slot = 0; slot < READERS; slot++)); do
  feeder "$slot" &
  feeders+=($!)
done

run_batch() {  # run_batch LOG: rcperso batch in the background, its PID in batch_pid
  "$BIN/rcperso" batch "$work/orders/orders.jsonl" --readers "$reader_list" --signer "$src/keys-sample/ds-ec" \
    --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --card-profile rcsim --journal "$journal" --test-run \
    --station test-station --operator tester --retries 5 --idle-exit 60 >"$1" 2>&1 &
  batch_pid=$!
}

# --- random pulls: kill the card in a slot now and then -----------------------
puller() {
  local k
  for k in 1 2 3 4; do
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1.5 + (r % 300) / 100 }')"
    [ -e "$work/stop" ] && return
    local s=$((RANDOM % READERS))
    [ -s "$work/slot$s.pid" ] && kill -9 "$(cat "$work/slot$s.pid")" 2>/dev/null && echo "pulled slot $s" >>"$work/feeder.log"
  done
}
puller &
feeders+=($!)

# SIGTERM: stop claiming, finish the cards in flight, exit 1 with the rest pending.
run_batch "$work/run-term.log"
sleep 3
kill -TERM "$batch_pid"
wait "$batch_pid"
rc=$?
batch_pid=""
[ "$rc" -eq 1 ] && pass=$((pass + 1)) || { echo "FAIL: SIGTERM: exit $rc, expected 1"; fail=$((fail + 1)); }
contains "SIGTERM: says so" "$work/run-term.log" "stopped by a signal"
left=$(sqlite3 "$journal" "SELECT COUNT(*) FROM orders WHERE state='in_flight' AND sod_sha256 IS NULL")
[ "$left" -eq 0 ] && pass=$((pass + 1)) || { echo "FAIL: SIGTERM left $left orders in flight"; fail=$((fail + 1)); }

# --- rcperso killed with SIGKILL at several points, then restarted --------------
kills=0
for delay in 2 1.5 2.5 2; do
  run_batch "$work/run-killed-$kills.log"
  sleep "$delay"
  if kill -9 "$batch_pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$batch_pid" 2>/dev/null
  batch_pid=""
done
echo "rcperso killed $kills times"
[ "$kills" -ge 3 ] && pass=$((pass + 1)) || { echo "FAIL: rcperso was killed only $kills times (it finished early)"; fail=$((fail + 1)); }

issued_before=$(sqlite3 "$journal" "SELECT COUNT(*) FROM orders WHERE state='issued'" 2>/dev/null || echo "?")

run_batch "$work/run-final.log"
wait "$batch_pid"
rc=$?
batch_pid=""
if [ "$rc" -eq 0 ]; then pass=$((pass + 1)); else
  echo "FAIL: the final batch run exited $rc"
  tail -30 "$work/run-final.log" | sed 's/^/    /'
  fail=$((fail + 1))
fi
contains "final run: summary" "$work/run-final.log" "summary: $ORDERS_COUNT orders: $ORDERS_COUNT issued"
touch "$work/stop"
echo "issued before the final run: $issued_before of $ORDERS_COUNT"
grep -h "recovered\|review\|retry\|spoiled\|locked (" "$work"/run-*.log | sed 's/^/  /' | head -30
if grep -q " recovered order=" "$work"/run-*.log; then pass=$((pass + 1)); else
  echo "FAIL: the card pulled while being locked was not recovered from its EF.SOD"; fail=$((fail + 1)); fi
cat "$work/feeder.log" 2>/dev/null | sort | uniq -c | sed 's/^/  /'

check "every order issued exactly once, on one locked card" 0 $helper check "$journal" "$work/cards"
cat "$work/out"

# No biometrics, names or keys in the log: only ids, document numbers, readers and states.
lacks "log has no holder name" "$work/run-final.log" "Ærøskøbing"
lacks "log has no given name" "$work/run-final.log" "Søren"

# The journal's exports and listing.
check "journal export csv" 0 "$BIN/rcperso" journal --journal "$journal" export --format csv --state issued
lines=$(grep -c "^order-" "$work/out")
[ "$lines" -eq "$ORDERS_COUNT" ] && pass=$((pass + 1)) || { echo "FAIL: CSV export has $lines issued rows"; fail=$((fail + 1)); }
contains "csv: header" "$work/out" "order_id,state,attempts,document_number"
check "journal export json" 0 "$BIN/rcperso" journal --journal "$journal" export --format json
contains "json: issued" "$work/out" '"state": "issued"'
check "journal list" 0 "$BIN/rcperso" journal --journal "$journal" list
contains "list: totals" "$work/out" "$ORDERS_COUNT orders: $ORDERS_COUNT issued"

# Re-running the finished batch imports nothing twice and issues nothing.
run_batch "$work/run-again.log"
wait "$batch_pid"
rc=$?
batch_pid=""
[ "$rc" -eq 0 ] && pass=$((pass + 1)) || { echo "FAIL: re-run exit $rc"; fail=$((fail + 1)); }
contains "re-run: nothing new" "$work/run-again.log" "($((0)) by this run)"
# Each issued order names its own card by the chip's CPLC (IC serial number), not by the ATR all
# cards of a type share.
ids=$(sqlite3 "$journal" "SELECT card_id FROM orders WHERE state='issued'")
[ "$(grep -c '^cplc:' <<<"$ids")" -eq "$ORDERS_COUNT" ] && [ "$(sort -u <<<"$ids" | wc -l)" -eq "$ORDERS_COUNT" ] &&
  pass=$((pass + 1)) || { echo "FAIL: card ids of issued orders not $ORDERS_COUNT distinct CPLC ids:"; head -3 <<<"$ids"; fail=$((fail + 1)); }
n=$(sqlite3 "$journal" "SELECT COUNT(*) FROM orders")
[ "$n" -eq "$ORDERS_COUNT" ] && pass=$((pass + 1)) || { echo "FAIL: $n orders after the re-run"; fail=$((fail + 1)); }

# An order changed under the same id is refused, naming it.
sed -i '1s/"RC2000100"/"RC2999999"/' "$work/orders/orders.jsonl"
check "changed order refused" 2 "$BIN/rcperso" batch "$work/orders/orders.jsonl" --readers "${names[0]}" \
  --signer "$src/keys-sample/ds-ec" --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --card-profile rcsim \
  --journal "$journal" --idle-exit 1 --test-run
contains "changed order: named" "$work/err" "order-001: the journal has this order with other content"

# On a terminal: the progress line; and the batch ends when its last order is issued even
# though the cards stay in the readers (nobody takes them out).
for f in "${feeders[@]}"; do kill "$f" 2>/dev/null; done
sleep 0.5
for p in "$work"/slot*.pid; do [ -s "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
for ((slot = 0; slot < READERS; slot++)); do "$BIN/pcsc_wait" "${names[$slot]}" absent 10000 >/dev/null; done
small_batch() {  # small_batch NAME NUMBER_PREFIX: 2 orders in $work/NAME, a blank card in each slot
  $helper orders "$src/examples" "$work/$1" 2
  sed -i "s/RC20001/$2/; s/order-/$1-/" "$work/$1/orders.jsonl"
  card_pids=()
  for ((slot = 0; slot < READERS; slot++)); do
    "$BIN/rcsim" --port "${ports[$slot]}" --state "$work/cards/$1-$slot.card" >>"$work/rcsim-$1.log" 2>&1 &
    card_pids+=($!)
    "$BIN/pcsc_wait" "${names[$slot]}" present 10000 >/dev/null
  done
}
small_batch tty RC30001
# The sample Document Signer without --test-run: refused before any card is touched.
check "sample signer without --test-run refused" 2 "$BIN/rcperso" batch "$work/tty/orders.jsonl" \
  --readers "$reader_list" --signer "$src/keys-sample/ds-ec" --cvca "$src/keys-sample/eac/cvca/cert.cvcert" \
  --card-profile rcsim --journal "$work/tty.db" --idle-exit 20
contains "refusal names the signer and the flag" "$work/err" "keys-sample/ds-ec: the Document Signer is a TEST ONLY"
contains "refusal names --test-run" "$work/err" "--test-run"
[ ! -e "$work/tty.db" ] && pass=$((pass + 1)) || { echo "FAIL: the refused batch opened its journal"; fail=$((fail + 1)); }
for ((slot = 0; slot < READERS; slot++)); do
  state=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("lifecycle", "blank"))' \
    "$work/cards/tty-$slot.card" 2>/dev/null || echo blank)
  [ "$state" != "locked" ] && pass=$((pass + 1)) || { echo "FAIL: the refused batch issued a card"; fail=$((fail + 1)); }
done
mkdir -m 700 "$work/qa"
check "terminal: batch ends with the cards still in" 0 timeout 60 script -qfec "env -u RCPERSO_PROFILES \
  '$BIN/rcperso' batch '$work/tty/orders.jsonl' --test-run --html-dir '$work/qa' \
  --readers '$reader_list' --signer '$src/keys-sample/ds-ec' --cvca '$src/keys-sample/eac/cvca/cert.cvcert' \
  --card-profile rcsim --journal '$work/tty.db' --idle-exit 20" "$work/tty.out"
contains "terminal: progress line" "$work/tty.out" "done 2/2  failed 0  in flight 0"
contains "terminal: summary" "$work/tty.out" "summary: 2 orders: 2 issued"
# Retention (shipped profile: erase): the issued orders' images are gone, the records stay.
for f in face.jpg right_index.wsq left_index.png signature.png right_index.png; do
  # right_index.png is named by no tty order (application and exempt-adult): it stays.
  if [ "$f" = right_index.png ]; then continue; fi
  [ ! -e "$work/tty/$f" ] && pass=$((pass + 1)) || { echo "FAIL: $f of an issued order is still there"; fail=$((fail + 1)); }
done
[ -e "$work/tty/orders.jsonl" ] && pass=$((pass + 1)) || { echo "FAIL: the order file went"; fail=$((fail + 1)); }
contains "terminal: erasure reported" "$work/tty.out" "input image file(s) of issued orders"
# QA pages: one per issued order and the summary, private, self-contained.
for order in tty-001 tty-002; do
  page=$work/qa/$order.html
  [ -f "$page" ] && [ "$(stat -c %a "$page")" = 600 ] && pass=$((pass + 1)) ||
    { echo "FAIL: $page missing or not 0600"; fail=$((fail + 1)); }
  contains "QA page $order: PASS" "$page" "PASS"
  lacks "QA page $order: nothing from outside" "$page" 'src="http'
  contains "index lists $order" "$work/qa/index.html" "$order"
done
[ "$(stat -c %a "$work/qa/index.html")" = 600 ] && pass=$((pass + 1)) || { echo "FAIL: index.html not 0600"; fail=$((fail + 1)); }
# As QA staff see them: the summary and a card's page in headless Chromium, both with the green banner.
RCPERSO_TEST_BIN=$BIN
source "$src/tests/integration/lib/browser.sh"
for page in index tty-001; do
  shoot "$work/qa/$page.html" "$work/qa/$page.png"
  read -r _ _ _ greens reds < <(measure "$work/qa/$page.png")
  at_least "QA page $page: green banner (pixels)" "$greens" 20000
  at_most "QA page $page: no red (pixels)" "$reds" 0
done
for p in "${card_pids[@]}"; do kill "$p" 2>/dev/null; done
for ((slot = 0; slot < READERS; slot++)); do "$BIN/pcsc_wait" "${names[$slot]}" absent 10000 >/dev/null; done

# Keys made on the cards (--keys-on-chip): each card generates its own Chip Authentication key pair
# and EF.SOD is signed over the DG14 built from it while the card is written.
check "keys on chip: a card profile that cannot generate keys is refused" 2 "$BIN/rcperso" batch \
  "$work/tty/orders.jsonl" --test-run --keys-on-chip --readers "$reader_list" --signer "$src/keys-sample/ds-ec" \
  --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --card-profile iso7816-fs --journal "$work/koc-refused.db"
contains "keys on chip: refusal names the option" "$work/err" "--keys-on-chip"
small_batch koc RC40001
check "keys on chip: batch" 0 "$BIN/rcperso" batch "$work/koc/orders.jsonl" --test-run --keys-on-chip \
  --readers "$reader_list" --signer "$src/keys-sample/ds-ec" --cvca "$src/keys-sample/eac/cvca/cert.cvcert" \
  --card-profile rcsim --journal "$work/koc.db" --idle-exit 20
contains "keys on chip: summary" "$work/out" "summary: 2 orders: 2 issued"
check "keys on chip: each card has a DG14 of its own key, and its EF.SOD covers it" 0 python3 - \
  "$work/cards/koc-0.card" "$work/cards/koc-1.card" "$work/koc.db" <<'PY'
import hashlib, json, sqlite3, sys
cards = [json.load(open(p)) for p in sys.argv[1:3]]
assert all(c["lifecycle"] == "locked" for c in cards), "a card is not locked"
dg14 = [bytes.fromhex(c["files"]["010E"]["data"]) for c in cards]
assert dg14[0] != dg14[1], "both cards carry the same DG14"
sods = {hashlib.sha256(bytes.fromhex(c["files"]["011D"]["data"])).hexdigest() for c in cards}
journal = {r[0] for r in sqlite3.connect(sys.argv[3]).execute("SELECT sod_sha256 FROM orders WHERE state='issued'")}
assert sods == journal, f"card EF.SODs {sods} are not the journal's {journal}"
PY
for p in "${card_pids[@]}"; do kill "$p" 2>/dev/null; done
for ((slot = 0; slot < READERS; slot++)); do "$BIN/pcsc_wait" "${names[$slot]}" absent 10000 >/dev/null; done

# A card pulled just before its lock, and the batch restarted while it is out: the restart finds
# the reader empty and leaves the order for review; the card, put back unlocked, is recognised by
# its EF.SOD and written again (not erased as a stray card and given the next order).
$helper orders "$src/examples" "$work/relock" 1
sed -i "s/RC20001/RC50001/; s/order-/relock-/" "$work/relock/orders.jsonl"
relock_batch() {
  "$BIN/rcperso" batch "$work/relock/orders.jsonl" --readers "${names[0]}" --signer "$src/keys-sample/ds-ec" \
    --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --card-profile rcsim --journal "$work/relock.db" --test-run \
    --idle-exit 3
}
"$BIN/rcsim" --port "${ports[0]}" --state "$work/cards/relock.card" --vanish-before 00DADEAD \
  >>"$work/rcsim-relock.log" 2>&1 &
"$BIN/pcsc_wait" "${names[0]}" present 10000 >/dev/null
check "pulled before its lock: the run ends with the order in flight" 1 relock_batch
contains "pulled before its lock: said" "$work/out" "the order stays in flight until the card is back"
contains "pulled before its lock: in flight here" "$work/out" "1 order(s) in flight on this station's readers"
"$BIN/pcsc_wait" "${names[0]}" absent 10000 >/dev/null
check "restarted without the card: for review" 1 relock_batch
contains "restarted without the card: said" "$work/out" "its card is not in ${names[0]}"
"$BIN/rcsim" --port "${ports[0]}" --state "$work/cards/relock.card" >>"$work/rcsim-relock.log" 2>&1 &
card_pids=($!)
"$BIN/pcsc_wait" "${names[0]}" present 10000 >/dev/null
check "its card back, unlocked: written again and issued" 0 relock_batch
contains "card back: recognised" "$work/out" "its card came back verified but not locked; it is erased and written"
contains "card back: summary" "$work/out" "summary: 1 orders: 1 issued"
check "card back: locked, with the EF.SOD the journal has for the order" 0 python3 - \
  "$work/cards/relock.card" "$work/relock.db" <<'PY'
import hashlib, json, sqlite3, sys
card = json.load(open(sys.argv[1]))
assert card["lifecycle"] == "locked", "the card is not locked"
sod = hashlib.sha256(bytes.fromhex(card["files"]["011D"]["data"])).hexdigest()
rows = list(sqlite3.connect(sys.argv[2]).execute("SELECT state, sod_sha256, attempts FROM orders"))
assert rows == [("issued", sod, 2)], f"journal {rows}, card EF.SOD {sod}"
PY
for p in "${card_pids[@]}"; do kill "$p" 2>/dev/null; done
"$BIN/pcsc_wait" "${names[0]}" absent 10000 >/dev/null

echo "batch_issue: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
