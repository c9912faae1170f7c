#!/usr/bin/env bash
# The main job on the bundled example, through the real PC/SC stack: start
# pcscd with vsmartcard's virtual reader and rcsim (the virtual chip) as a
# blank card, issue examples/application.json onto it with the TEST ONLY
# sample signer (prepare, write, read back through PACE, verify, lock), then
# inspect the card as a border inspection system would and show its content.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

BIN=$PWD/build/bin
mkdir -p out
rm -rf out/example-chip out/example-card.state out/example-read out/apdu.log
source scripts/pcsc-stack.sh
card_pid=""
finish() {
  [ -n "$card_pid" ] && kill "$card_pid" 2>/dev/null
  pcsc_down
}
trap finish EXIT

echo "== starting pcscd with the vpcd virtual reader, and rcsim as a blank card"
PCSC_LOG=out/pcscd.log pcsc_up
card_in 0 out/rcsim.log --card-profile rcsim --state out/example-card.state
card_pid=$CARD_PID
reader=$(reader_name 0)

echo "== rcperso issue (prepare, write, read back through PACE, verify, lock)"
"$BIN/rcperso" issue --application examples/application.json --profile dk-residence-card \
  --cvca keys-sample/eac/cvca/cert.cvcert \
  --signer keys-sample/ds-ec --reader "$reader" --card-profile rcsim --keep out/example-chip

echo "== rcverify on the card (PACE with the MRZ data, Chip and Terminal Authentication, Passive Authentication, issuer's rules)"
"$BIN/rcverify" --reader "$reader" --bac RC0012345 880314 311101 --csca keys-sample/csca-ec.pem \
  --crl keys-sample/csca-ec.crl.pem --profile dk-residence-card --save out/example-read --apdu-log out/apdu.log \
  --terminal-cert keys-sample/eac/dv/cert.cvcert --terminal-cert keys-sample/eac/is/cert.cvcert \
  --terminal-key keys-sample/eac/is/key.pem

echo "== rcdump on the card"
"$BIN/rcdump" --reader "$reader" --bac RC0012345 880314 311101
echo "== done: the chip image is in out/example-chip, what was read back in out/example-read," \
  "the QA APDU log in out/apdu.log"
