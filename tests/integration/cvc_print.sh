#!/usr/bin/env bash
# Interoperability of our CV certificates with a third-party implementation,
# OpenPACE (Debian package openpace; GPL, so we only run its commands, never
# link it):
#  - cvc-print must decode every TEST ONLY sample in keys-sample/eac, name its
#    CHR, CAR, role and rights, and verify the signatures along each chain;
#  - certificates made by cvc-create must pass our decoder byte for byte
#    (rcperso_cvc_check) and our chain validation, with the right failures.
# If cvc-print or cvc-create is missing this test FAILS.
set -uo pipefail
src=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$src/tests/integration/lib/checks.sh"

for tool in cvc-print cvc-create; do
  if ! command -v $tool >/dev/null; then
    echo "FAIL: $tool is missing (Debian package openpace; scripts/setup.sh installs it)"
    exit 1
  fi
done
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

# The other direction: a chain made by OpenPACE, read and validated by us.
op=$work/openpace
mkdir -p "$op"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:brainpoolP256r1 -outform DER -out "$op/cvca.pkcs8" 2>/dev/null
common=(--scheme=ECDSA_SHA_256 --issued=261101)
(cd "$op" &&
  cvc-create --role=cvca --type=is --chr=DKOPCVCA00001 --expires=361031 --sign-with=cvca.pkcs8 "${common[@]}" \
    --read-finger --read-iris &&
  cvc-create --role=dv_domestic --chr=DKOPDV00001 --expires=311031 --sign-with=cvca.pkcs8 \
    --sign-as=DKOPCVCA00001.cvcert "${common[@]}" --read-finger --read-iris &&
  cvc-create --role=terminal --chr=DKOPIS00001 --expires=291031 --sign-with=DKOPDV00001.pkcs8 \
    --sign-as=DKOPDV00001.cvcert "${common[@]}" --read-finger &&
  cvc-create --role=terminal --chr=DKOPIS00002 --expires=291031 --sign-with=DKOPDV00001.pkcs8 \
    --sign-as=DKOPDV00001.cvcert "${common[@]}" --read-iris &&
  cvc-create --role=terminal --chr=DKOPIS00003 --expires=261115 --sign-with=DKOPDV00001.pkcs8 \
    --sign-as=DKOPDV00001.cvcert "${common[@]}" --read-finger) >"$op/log" 2>&1 ||
  { echo "FAIL: cvc-create could not make the test chain"; cat "$op/log"; exit 1; }
check "our decoder on OpenPACE certificates" 0 "$bin/rcperso_cvc_check" "$op"/DKOP*.cvcert
contains "OpenPACE CVCA" "$work/out" "CHR:        DKOPCVCA00001"
contains "OpenPACE CVCA curve" "$work/out" "ECDSA brainpoolP256r1"
contains "OpenPACE DV role" "$work/out" "Role:       DV (domestic)"
contains "OpenPACE IS rights" "$work/out" "Rights:     read DG3"
check "OpenPACE chain valid" 0 "$bin/rcperso_cvc_check" --chain 2027-03-01 dg3 \
  "$op/DKOPCVCA00001.cvcert" "$op/DKOPDV00001.cvcert" "$op/DKOPIS00001.cvcert"
contains "OpenPACE chain rights" "$work/out" "effective rights read DG3"
check "OpenPACE IS without DG3" 1 "$bin/rcperso_cvc_check" --chain 2027-03-01 dg3 \
  "$op/DKOPCVCA00001.cvcert" "$op/DKOPDV00001.cvcert" "$op/DKOPIS00002.cvcert"
contains "OpenPACE IS without DG3 message" "$work/err" "does not grant read DG3"
check "OpenPACE IS expired" 1 "$bin/rcperso_cvc_check" --chain 2027-03-01 dg3 \
  "$op/DKOPCVCA00001.cvcert" "$op/DKOPDV00001.cvcert" "$op/DKOPIS00003.cvcert"
contains "OpenPACE IS expired message" "$work/err" "IS certificate DKOPIS00003 expired 2026-11-15"
check "OpenPACE chain under our CVCA" 1 "$bin/rcperso_cvc_check" --chain 2027-03-01 dg3 \
  "$eac/cvca/cert.cvcert" "$op/DKOPDV00001.cvcert" "$op/DKOPIS00001.cvcert"
contains "OpenPACE chain under our CVCA message" "$work/err" "chain does not lead to CVCA DKTESTCVCA00001"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
