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
#
# A private stack with more readers, for batches across many readers:
#   private_pcsc_up DIR N PORT   start a pcscd of its own (in a private mount namespace, so the
#                                machine's pcscd is untouched) with N virtual readers on TCP
#                                ports PORT .. PORT+N-1; exports PCSCLITE_CSOCK_NAME so that every
#                                client started afterwards talks to it
#   private_pcsc_down            stop it
#   private_reader_name R        the name of reader R (0 .. N-1)
#   private_card_in R LOG ARGS...  start rcsim on reader R; sets CARD_PID
#   private_card_out R PID       stop that card and wait until reader R is empty

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

# --- a private pcscd with N readers -----------------------------------------
# Debian's vpcd driver serves two slots per reader.conf entry and keeps them in
# global state, so a second entry of the same library would share the first's
# slots. Each pair of readers therefore loads its own copy of the driver file
# (a copy, not a link: the dynamic loader would reuse the library it already
# has for the same file).
PRIVATE_PCSC_PID=""
PRIVATE_PCSC_PORT=""

private_reader_name() { echo "Virtual PCD $(($1 / 2)) 00 0$(($1 % 2))"; }

private_pcsc_up() {
  local dir=$1 readers=$2 port=$3
  local driver=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
  if [ ! -e "$driver" ]; then
    echo "pcsc-stack: the vpcd reader driver is missing ($driver; package vsmartcard-vpcd)" >&2
    return 1
  fi
  mkdir -p "$dir/run" "$dir/conf" "$dir/drivers"
  local entries=$(((readers + 1) / 2)) i
  for ((i = 0; i < entries; i++)); do
    cp "$(readlink -f "$driver")" "$dir/drivers/libifdvpcd-$i.so"
    printf 'FRIENDLYNAME "Virtual PCD %d"\nDEVICENAME /dev/null:%d\nLIBPATH %s\nCHANNELID %d\n' \
      "$i" $((port + 2 * i)) "$dir/drivers/libifdvpcd-$i.so" $((port + 2 * i)) >"$dir/conf/vpcd-$i"
  done
  pcsc_sudo mkdir -p /run/pcscd
  # unshare execs sh, which execs pcscd: $! is pcscd's own PID when run as root.
  if [ "$(id -u)" -ne 0 ]; then
    sudo unshare --mount --propagation private sh -c \
      "mount --bind '$dir/run' /run/pcscd && exec pcscd --foreground -c '$dir/conf'" >"$dir/pcscd.log" 2>&1 &
  else
    unshare --mount --propagation private sh -c \
      "mount --bind '$dir/run' /run/pcscd && exec pcscd --foreground -c '$dir/conf'" >"$dir/pcscd.log" 2>&1 &
  fi
  PRIVATE_PCSC_PID=$!
  PRIVATE_PCSC_PORT=$port
  export PCSCLITE_CSOCK_NAME=$dir/run/pcscd.comm
  for _ in $(seq 1 100); do
    if [ "$("$BIN/pcsc_wait" --list 2>/dev/null | grep -c "Virtual PCD")" -ge "$readers" ]; then return 0; fi
    sleep 0.1
  done
  echo "pcsc-stack: the private pcscd did not come up with $readers readers within 10 s (log: $dir/pcscd.log)" >&2
  return 1
}

private_pcsc_down() {
  if [ -n "$PRIVATE_PCSC_PID" ]; then
    pcsc_sudo kill "$PRIVATE_PCSC_PID" 2>/dev/null || true
    wait "$PRIVATE_PCSC_PID" 2>/dev/null || true
    PRIVATE_PCSC_PID=""
  fi
  unset PCSCLITE_CSOCK_NAME
}

private_card_in() {
  local reader=$1 log=$2
  shift 2
  "$BIN/rcsim" --port $((PRIVATE_PCSC_PORT + reader)) "$@" >>"$log" 2>&1 &
  CARD_PID=$!
  if ! "$BIN/pcsc_wait" "$(private_reader_name "$reader")" present 10000; then
    echo "pcsc-stack: the virtual card on private reader $reader did not appear (log: $log)" >&2
    return 1
  fi
}

private_card_out() {
  local reader=$1 pid=$2
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  "$BIN/pcsc_wait" "$(private_reader_name "$reader")" absent 10000
}
