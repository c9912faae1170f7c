#!/usr/bin/env bash
# Interoperability of our CV certificates with a third-party decoder:
# OpenPACE's cvc-print (Debian package openpace; GPL, so we only run the
# command, never link it) must decode every TEST ONLY sample in
# keys-sample/eac, name its CHR, CAR, role and rights, and verify the
# signatures along each chain. If cvc-print is missing this test FAILS.
set -uo pipefail
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$src/tests/integration/lib/checks.sh"

if ! command -v cvc-print >/dev/null; then
  echo "FAIL: cvc-print is missing (Debian package openpace; scripts/setup.sh installs it)"
  exit 1
fi
eac=$src/keys-sample/eac

# name CHR CAR role-text: what keys-sample/README.md promises.
samples=(
  "cvca DKTESTCVCA00001 DKTESTCVCA00001 CVCA"
  "dv DKTESTDV00001 DKTESTCVCA00001 DV"
  "is DKTESTIS00001 DKTESTDV00001 Terminal"
  "is-expired DKTESTIS00002 DKTESTDV00001 Terminal"
  "is-no-dg3 DKTESTIS00003 DKTESTDV00001 Terminal"
  "cvca-other DKTESTCVCX00001 DKTESTCVCX00001 CVCA"
  "dv-other DKTESTDVX00001 DKTESTCVCX00001 DV"
  "is-other DKTESTISX00001 DKTESTDVX00001 Terminal"
)

# cvc-print --cvc-dir looks issuers up by CHR: a trust directory of all samples.
mkdir -p "$work/trust"
for s in "${samples[@]}"; do
  read -r name chr _ _ <<<"$s"
  cp "$eac/$name/cert.cvcert" "$work/trust/$chr"
done
count=$(find "$eac" -name cert.cvcert | wc -l)
[ "$count" -eq "${#samples[@]}" ] || { echo "FAIL: $count certificates in keys-sample/eac, this test knows ${#samples[@]}"; fail=$((fail + 1)); }

for s in "${samples[@]}"; do
  read -r name chr car role <<<"$s"
  check "cvc-print $name" 0 cvc-print --cvc="$eac/$name/cert.cvcert"
  cp "$work/out" "$work/$name.txt"
  contains "$name CHR" "$work/$name.txt" "CHR: $chr"
  contains "$name CAR" "$work/$name.txt" "CAR: $car"
  contains "$name role" "$work/$name.txt" "$role certificate"
  contains "$name terminal type" "$work/$name.txt" "Inspection system"
  check "cvc-print --cvc-dir $name" 0 cvc-print --cvc="$eac/$name/cert.cvcert" --cvc-dir="$work/trust"
  if [ "$name" = is-expired ]; then
    contains "$name refused" "$work/out" "certificate not verified"
  else
    contains "$name verified" "$work/out" "certificate verified"
    lacks "$name verified" "$work/out" "not verified"
  fi
done
contains "is rights" "$work/is.txt" "Read fingerprint"
lacks "is rights" "$work/is.txt" "Read iris"
contains "is-no-dg3 rights" "$work/is-no-dg3.txt" "Read iris"
lacks "is-no-dg3 rights" "$work/is-no-dg3.txt" "Read fingerprint"

# A certificate with one signature bit flipped must not verify.
cp "$eac/is/cert.cvcert" "$work/tampered.cvcert"
last=$(($(stat -c %s "$work/tampered.cvcert") - 1))
byte=$(od -An -tu1 -j"$last" -N1 "$work/tampered.cvcert" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 1)))" | dd of="$work/tampered.cvcert" bs=1 seek="$last" conv=notrunc 2>/dev/null
check "cvc-print tampered" 0 cvc-print --cvc="$work/tampered.cvcert" --cvc-dir="$work/trust"
contains "tampered refused" "$work/out" "certificate not verified"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
