# Functions to run the real PC/SC stack with virtual cards: pcscd with
# vsmartcard's vpcd reader driver, and rcsim (or vicc) as the card.
# Source it; set BIN to the directory with rcsim and pcsc_wait first.
#
#   pcsc_up                      start pcscd unless one answers already
#   pcsc_down                    stop the pcscd that pcsc_up started
#   card_in SLOT LOG ARGS...     start rcsim on vpcd slot SLOT (0 or 1); waits until
#                                pcscd sees the card; sets CARD_PID
#   card_out SLOT PID            stop that card and wait until the reader is empty
#   reader_name SLOT             "Virtual PCD 00 0SLOT"

PCSC_STARTED_PID=""

reader_name() { echo "Virtual PCD 00 0$1"; }

pcsc_sudo() { if [ "$(id -u)" -ne 0 ]; then sudo "$@"; else "$@"; fi; }

pcsc_up() {
  if "$BIN/pcsc_wait" --list 2>/dev/null | grep -q "Virtual PCD"; then return 0; fi
  if ! command -v pcscd >/dev/null; then
    echo "pcsc-stack: pcscd is not installed (scripts/setup.sh installs it)" >&2
    return 1
  fi
  if [ ! -e /etc/reader.conf.d/vpcd ]; then
    echo "pcsc-stack: the vpcd reader driver is not configured (/etc/reader.conf.d/vpcd; package vsmartcard-vpcd)" >&2
    return 1
  fi
  # A pcscd killed hard leaves its socket and PID file; clear them only if that PID is gone.
  if [ -e /run/pcscd/pcscd.pid ] && ! kill -0 "$(tr -dc 0-9 </run/pcscd/pcscd.pid 2>/dev/null)" 2>/dev/null; then
    pcsc_sudo rm -f /run/pcscd/pcscd.pid /run/pcscd/pcscd.comm
  fi
  # Started directly (not through the pcsc_sudo function, whose subshell would
  # be what $! names) so that pcsc_down stops pcscd itself, not an orphan's parent.
  if [ "$(id -u)" -ne 0 ]; then
    sudo pcscd --foreground >"${PCSC_LOG:-/dev/null}" 2>&1 &
  else
    pcscd --foreground >"${PCSC_LOG:-/dev/null}" 2>&1 &
  fi
  PCSC_STARTED_PID=$!
  for _ in $(seq 1 100); do
    if "$BIN/pcsc_wait" --list 2>/dev/null | grep -q "Virtual PCD"; then return 0; fi
    sleep 0.1
  done
  echo "pcsc-stack: pcscd did not come up with the virtual readers within 10 s" >&2
  return 1
}

pcsc_down() {
  if [ -n "$PCSC_STARTED_PID" ]; then
    pcsc_sudo kill "$PCSC_STARTED_PID" 2>/dev/null || true
    wait "$PCSC_STARTED_PID" 2>/dev/null || true
    PCSC_STARTED_PID=""
  fi
}

card_in() {
  local slot=$1 log=$2
  shift 2
  "$BIN/rcsim" --port $((35963 + slot)) "$@" >>"$log" 2>&1 &
  CARD_PID=$!
  if ! "$BIN/pcsc_wait" "$(reader_name "$slot")" present 10000; then
    echo "pcsc-stack: the virtual card on slot $slot did not appear (log: $log)" >&2
    return 1
  fi
}

card_out() {
  local slot=$1 pid=$2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  # pcscd polls presence ~every 0.44 s; a card that comes back too early is never seen.
  "$BIN/pcsc_wait" "$(reader_name "$slot")" absent 10000
}
