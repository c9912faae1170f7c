#!/usr/bin/env bash
# Interoperability with a third-party virtual card: vsmartcard's vicc
# (`vicc -t iso7816`, Debian vsmartcard-vpicc) on vpcd slot 1, personalized
# with the iso7816-fs card profile through pcscd and read back plain.
# If vicc cannot start, this test FAILS and says why; it never passes silently.
set -uo pipefail
src=$1
BIN=$2
work=$(mktemp -d)
source "$src/scripts/pcsc-stack.sh"
vicc_pid=""
cleanup() {
  [ -n "$vicc_pid" ] && kill "$vicc_pid" 2>/dev/null
  pcsc_down
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/integration/lib/checks.sh"
cannot_start() {
  echo "FAIL: vicc cannot start on this machine: $*"
  echo "      (needs Debian packages vsmartcard-vpicc python3-virtualsmartcard python3-pycryptodome;"
  echo "       scripts/setup.sh installs them)"
  exit 1
}

if ! PCSC_LOG=$work/pcscd.log pcsc_up; then
  echo "FAIL: cannot run pcscd with the vpcd virtual reader"
  exit 1
fi
command -v vicc >/dev/null || cannot_start "the vicc command is missing"

# Debian 12's vicc needs two workarounds (see docs/card-testing.md): its
# package lies outside sys.path, and it imports Crypto while Debian ships
# Cryptodome. The shim also acknowledges TCP segments at once, as rcsim does:
# otherwise vpcd's split writes cost ~45 ms per APDU (delayed ACK).
pkgdir=$(dirname "$(find /usr/lib/python3 -path '*/virtualsmartcard/VirtualSmartcard.py' 2>/dev/null | head -1)")
[ -d "$pkgdir" ] || cannot_start "the virtualsmartcard Python package is not installed"
cryptodome=$(/usr/bin/python3 -c 'import Cryptodome, os; print(os.path.dirname(Cryptodome.__file__))' 2>/dev/null) ||
  cannot_start "/usr/bin/python3 (vicc's interpreter) cannot import Cryptodome"
shim=$work/shim
mkdir -p "$shim"
ln -s "$cryptodome" "$shim/Crypto"
cat >"$shim/sitecustomize.py" <<'PY'
import socket

_recv = socket.socket.recv


def _recv_quickack(self, *args, **kwargs):
    try:
        self.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
    except OSError:
        pass
    return _recv(self, *args, **kwargs)


socket.socket.recv = _recv_quickack
PY

R1=$(reader_name 1)
"$BIN/pcsc_wait" "$R1" absent 10000 || { echo "FAIL: $R1 is not empty"; exit 1; }
PYTHONPATH="$(dirname "$pkgdir"):$shim" vicc -t iso7816 -H 127.0.0.1 -P 35964 >"$work/vicc.log" 2>&1 &
vicc_pid=$!
if ! "$BIN/pcsc_wait" "$R1" present 20000; then
  kill -0 "$vicc_pid" 2>/dev/null && status="running but not seen by pcscd" || status="exited"
  cannot_start "vicc $status; its last output: $(tail -c 600 "$work/vicc.log" | tr '\n' ' ')"
fi

# A plain file system holds no keys: the profile without PACE and Chip Authentication.
check "prepare" 0 "$BIN/rcperso" prepare --application "$src/examples/application.json" \
  --profile dk-residence-card-bac --signer "$src/keys-sample/ds-ec" --out "$work/chip"
# write erases the chip image of an issued card (the profile's retention): keep a copy to compare with.
cp -r "$work/chip" "$work/chip-copy"
check "vicc: write with iso7816-fs" 0 "$BIN/rcperso" write "$work/chip" --reader "$R1" --card-profile iso7816-fs \
  --csca "$src/keys-sample/csca-ec.pem"
contains "vicc: ISSUED" "$work/out" "ISSUED"
contains "vicc: read back plain" "$work/out" "(no access control): identical"
contains "vicc: application DF created" "$work/out" "card is blank (iso7816-fs)"
check "vicc: rcverify reads it plain" 0 "$BIN/rcverify" --reader "$R1" --card-profile iso7816-fs \
  --csca "$src/keys-sample/csca-ec.pem" --profile dk-residence-card --save "$work/read"
contains "vicc: PA" "$work/out" "PASS  DS chain to CSCA"
[ ! -e "$work/chip" ] && pass=$((pass + 1)) || { echo "FAIL: vicc: the chip image was not erased"; fail=$((fail + 1)); }
for f in "$work"/chip-copy/EF.*; do
  if cmp -s "$f" "$work/read/$(basename "$f")"; then pass=$((pass + 1)); else
    echo "FAIL: vicc: $(basename "$f") read back differs"; fail=$((fail + 1)); fi
done
check "vicc: a written card without erase is spoiled" 1 "$BIN/rcperso" write "$work/chip-copy" --reader "$R1" \
  --card-profile iso7816-fs --csca "$src/keys-sample/csca-ec.pem"
contains "vicc: spoiled message" "$work/err" "spoiled"

kill "$vicc_pid" 2>/dev/null
wait "$vicc_pid" 2>/dev/null
vicc_pid=""
"$BIN/pcsc_wait" "$R1" absent 10000 >/dev/null
echo "vicc_interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
