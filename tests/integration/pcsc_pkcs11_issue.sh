#!/usr/bin/env bash
# Cards issued through the real PC/SC stack (pcscd, vpcd, rcsim) with the
# Document Signer in a SoftHSM2 token of this test's own: a prepared image
# signed by the token key, and an image whose EF.SOD the token signs at write
# time over the key pairs the chip generated (--keys-on-chip). Each card is
# verified from the reader against the sample CSCA.
set -uo pipefail
src=$1
BIN=$2
work=$(mktemp -d)
source "$src/scripts/pcsc-stack.sh"
cleanup() {
  [ -n "${CARD_PID:-}" ] && kill "$CARD_PID" 2>/dev/null
  pcsc_down
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/integration/lib/checks.sh"

# SoftHSM2 leaks a few bytes inside libsofthsm2.so while generating key pairs: no LeakSanitizer for the set-up.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$BIN/rcperso_make_softhsm_token" "$work/hsm" >"$work/token.env" ||
  { echo "FAIL: SoftHSM2 token set-up"; exit 1; }
export SOFTHSM2_CONF=$work/hsm/softhsm2.conf
signer="pkcs11:token=rcperso-test;object=ds-hsm?pin-source=file:$work/hsm/pin"

if ! PCSC_LOG=$work/pcscd.log pcsc_up; then
  echo "FAIL: cannot run pcscd with the vpcd virtual reader; this test needs the real PC/SC stack"
  exit 1
fi
R0=$(reader_name 0)
csca=$src/keys-sample/csca-ec.pem
cvca=$src/keys-sample/eac/cvca/cert.cvcert
cp -r "$src/examples" "$work/examples"

card_in 0 "$work/rcsim.log" --state "$work/hsm.card" || exit 1
check "issue with the token key" 0 "$BIN/rcperso" issue --cvca "$cvca" --application "$work/examples/application.json" \
  --signer "$signer" --csca "$csca" --reader "$R0" --card-profile rcsim --keep "$work/hsm.chip"
contains "token key: ISSUED" "$work/out" "verified and locked"
contains "token key: signer named" "$work/out" "in PKCS#11 token 'rcperso-test'"
check "token key: rcverify from the card" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca"
contains "token key: PA on the card" "$work/out" "PASS  DS chain to CSCA"
card_out 0 "$CARD_PID"

card_in 0 "$work/rcsim.log" --state "$work/onchip.card" || exit 1
check "keys on chip, EF.SOD signed by the token at write time" 0 "$BIN/rcperso" issue --keys-on-chip --cvca "$cvca" \
  --application "$work/examples/application.json" --signer "$signer" --csca "$csca" \
  --reader "$R0" --card-profile rcsim --keep "$work/onchip.chip"
contains "keys on chip: SOD signed then" "$work/out" "EF.SOD signed over the chip's public keys"
contains "keys on chip: ISSUED" "$work/out" "verified and locked"
check "keys on chip: rcverify from the card" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca"
contains "keys on chip: PA on the card" "$work/out" "PASS  DS chain to CSCA"
contains "keys on chip: CA on the card" "$work/out" "PASS  Chip Authentication"
card_out 0 "$CARD_PID"

# No --csca: a token has no csca.pem beside it, so issue says what it needs before touching a card.
card_in 0 "$work/rcsim.log" --state "$work/nocsca.card" || exit 1
check "token signer without --csca refused" 2 "$BIN/rcperso" issue --cvca "$cvca" \
  --application "$work/examples/application.json" --signer "$signer" --reader "$R0" --card-profile rcsim
contains "no --csca: says so" "$work/err" "--csca"
card_out 0 "$CARD_PID"

echo "pcsc_pkcs11_issue: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
