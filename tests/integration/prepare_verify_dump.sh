#!/usr/bin/env bash
# End to end through the tools, as an operator and a QA engineer use them:
# prepare the bundled example, verify it, dump it, and check that bad input,
# tampering, a wrong CSCA and test keys in production mode are refused.
set -uo pipefail
src=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$src/tests/integration/lib/checks.sh"

cp -r "$src/examples" "$work/examples"
chip=$work/chip
cvca=$src/keys-sample/eac/cvca/cert.cvcert  # Terminal Authentication trusts the TEST ONLY CVCA

check "prepare example" 0 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --profile dk-residence-card --signer "$src/keys-sample/ds-ec" --out "$chip" --chip-keys "$work/chip.keys"
for f in EF.COM EF.SOD EF.DG1 EF.DG2 EF.DG3 EF.DG7 EF.DG11 EF.DG12 EF.DG14 manifest.json; do
  [ -s "$chip/$f" ] && pass=$((pass + 1)) || { echo "FAIL: $f missing from chip image"; fail=$((fail + 1)); }
done
[ -z "$(ls -A "$work" | grep partial)" ] && pass=$((pass + 1)) || { echo "FAIL: staging dir left"; fail=$((fail + 1)); }

check "verify PASS" 0 "$bin/rcverify" "$chip" --csca "$src/keys-sample/csca-ec.pem" --profile dk-residence-card
contains "verify PASS line" "$work/out" "PASS"
contains "verify decodes the WSQ fingers" "$work/out" "WSQ 400x500"
check "verify with CRL" 0 "$bin/rcverify" "$chip" --csca "$src/keys-sample/csca-ec.pem" --crl "$src/keys-sample/csca-ec.crl.pem"
check "verify --json" 0 "$bin/rcverify" "$chip" --csca "$src/keys-sample/csca-ec.pem" --json
contains "verify --json result" "$work/out" '"result": "PASS"'

check "dump" 0 "$bin/rcdump" "$chip"
contains "dump shows MRZ" "$work/out" "IRDNKRC0012345"
contains "dump shows DS certificate" "$work/out" "TEST ONLY"
contains "dump shows DG14" "$work/out" "id-CA-ECDH-AES-CBC-CMAC-128"
contains "dump shows WSQ fingers" "$work/out" "compression: WSQ"
check "keys inside the image refused" 2 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/inside" --chip-keys "$work/inside/keys"
contains "keys inside: says why" "$work/err" "must not be inside the chip image"
check "dump --json" 0 "$bin/rcdump" "$chip" --json
check "dump --extract" 0 "$bin/rcdump" "$chip" --extract "$work/extracted"
for f in face.jpg finger-right_index.wsq finger-right_index.png finger-left_index.wsq finger-left_index.png \
  signature.jpg ds-certificate.pem; do
  [ -s "$work/extracted/$f" ] && pass=$((pass + 1)) || { echo "FAIL: extract did not write $f"; ls "$work/extracted"; fail=$((fail + 1)); }
done

# One fingerprint as a card gets it, and a bare WSQ looked at.
check "image --finger" 0 "$bin/rcperso" image --finger "$work/examples/right_index.png" --out "$work/ri.wsq"
contains "image --finger says WSQ" "$work/out" "WSQ 0.7"
cmp -s "$work/ri.wsq" "$work/extracted/finger-right_index.wsq" && pass=$((pass + 1)) ||
  { echo "FAIL: rcperso image differs from the finger prepared into DG3"; fail=$((fail + 1)); }
check "image --finger of a WSQ keeps it" 0 "$bin/rcperso" image --finger "$work/ri.wsq" --out "$work/ri2.wsq"
contains "image keeps a WSQ" "$work/out" "kept as given, WSQ"
check "image --finger names the profile's format" 2 "$bin/rcperso" image --finger "$work/examples/right_index.png" \
  --out "$work/ri.jp2"
contains "image --finger: WSQ wanted" "$work/err" "stores fingerprints as WSQ; name the file *.wsq"
check "image --face JPEG 2000" 0 "$bin/rcperso" image --face "$work/examples/face.jpg" --out "$work/bare.jp2" \
  --profile "$src/tests/data/dk-residence-card-face-jp2.json"
check "dump a bare JPEG 2000" 0 "$bin/rcdump" "$work/bare.jp2" --extract "$work/jp2-png"
contains "dump names JPEG 2000" "$work/out" "JPEG 2000 480x640"
[ -s "$work/jp2-png/bare.png" ] && pass=$((pass + 1)) || { echo "FAIL: no PNG from the bare JPEG 2000"; fail=$((fail + 1)); }
check "dump refuses a bare JPEG" 2 "$bin/rcdump" "$work/examples/face.jpg"
contains "dump says what it reads" "$work/err" "not a WSQ or JPEG 2000 image"
check "image --finger refuses a JPEG" 2 "$bin/rcperso" image --finger "$work/examples/face.jpg" --out "$work/face.wsq"
contains "image names the JPEG" "$work/err" "face.jpg must be a PNG, JPEG 2000 or WSQ image"
# The face as a card gets it: JPEG from the Danish profile, JPEG 2000 from the test profile.
check "image --face" 0 "$bin/rcperso" image --face "$work/examples/face.jpg" --out "$work/face.jpg"
contains "image --face says JPEG" "$work/out" "480x640 JPEG quality"
cmp -s "$work/face.jpg" "$work/extracted/face.jpg" && pass=$((pass + 1)) ||
  { echo "FAIL: rcperso image --face differs from the face prepared into DG2"; fail=$((fail + 1)); }
check "image --face refuses an existing --out" 2 "$bin/rcperso" image --face "$work/examples/face.jpg" --out "$work/face.jpg"
contains "image --face: exists" "$work/err" "already exists"
check "image --face refuses .jp2 for a JPEG profile" 2 "$bin/rcperso" image --face "$work/examples/face.jpg" --out "$work/face.jp2"
contains "image --face: extension" "$work/err" "name the file *.jpg"
jp2_profile=$src/tests/data/dk-residence-card-face-jp2.json
check "prepare with a JPEG 2000 face" 0 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --profile "$jp2_profile" --signer "$src/keys-sample/ds-ec" --out "$work/chip-jp2" --chip-keys "$work/chip-jp2.keys"
check "verify the JPEG 2000 face" 0 "$bin/rcverify" "$work/chip-jp2" --csca "$src/keys-sample/csca-ec.pem" --profile "$jp2_profile"
contains "verify names JPEG 2000" "$work/out" "JPEG 2000 480x640"
check "dump the JPEG 2000 face" 0 "$bin/rcdump" "$work/chip-jp2"
contains "dump names JPEG 2000" "$work/out" "image_type: JPEG 2000"
check "dump --extract the JPEG 2000 face" 0 "$bin/rcdump" "$work/chip-jp2" --extract "$work/extracted-jp2"
check "image --face to JPEG 2000" 0 "$bin/rcperso" image --face "$work/examples/face.jpg" --out "$work/face.jp2" --profile "$jp2_profile"
contains "image --face says JPEG 2000" "$work/out" "480x640 JPEG 2000 ratio"
cmp -s "$work/face.jp2" "$work/extracted-jp2/face.jp2" && pass=$((pass + 1)) ||
  { echo "FAIL: rcperso image --face (JPEG 2000) differs from the face prepared into DG2"; ls "$work/extracted-jp2"; fail=$((fail + 1)); }
check "dump a bare WSQ" 0 "$bin/rcdump" "$work/ri.wsq" --extract "$work/ri-png"
contains "dump a bare WSQ: header" "$work/out" "WSQ 400x500"
[ -s "$work/ri-png/ri.png" ] && pass=$((pass + 1)) || { echo "FAIL: rcdump did not write ri.png"; fail=$((fail + 1)); }

check "existing output refused" 2 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --profile dk-residence-card --signer "$src/keys-sample/ds-ec" --out "$chip" --chip-keys "$work/again.keys"
contains "existing output: named" "$work/err" "exists"
[ ! -e "$work/again.keys" ] && pass=$((pass + 1)) || { echo "FAIL: keys written for a refused image"; fail=$((fail + 1)); }
check "production refuses TEST ONLY key" 2 "$bin/rcperso" prepare --cvca "$cvca" --production \
  --application "$work/examples/application.json" --signer "$src/keys-sample/ds-ec" --out "$work/prod" --chip-keys "$work/prod.keys"
contains "production message" "$work/err" "TEST ONLY"
[ ! -e "$work/prod" ] && [ ! -e "$work/prod.keys" ] && pass=$((pass + 1)) || { echo "FAIL: production run wrote output"; fail=$((fail + 1)); }

# Invalid input: every problem reported, exit 2, nothing written.
sed -e 's/"1988-03-14"/"1988-02-30"/' -e 's/"NOR"/"XYZ"/' -e 's/"sex": "M"/"sex": "Q"/' \
  "$work/examples/application.json" >"$work/examples/bad.json"
check "invalid record" 2 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/bad.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/bad-chip" --chip-keys "$work/bad.keys"
contains "names date" "$work/err" "holder.date_of_birth"
contains "names nationality" "$work/err" "holder.nationality"
contains "names sex" "$work/err" "holder.sex"
[ ! -e "$work/bad-chip" ] && [ ! -e "$work/bad.keys" ] && pass=$((pass + 1)) || { echo "FAIL: invalid record wrote output"; fail=$((fail + 1)); }
echo '{ "document": ' >"$work/examples/broken.json"
check "broken JSON" 2 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/broken.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/bad-chip" --chip-keys "$work/bad.keys"
check "wrong key" 2 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --signer "$work/no-such-signer" --out "$work/bad-chip" --chip-keys "$work/bad.keys"

# Inspection failures exit 1.
check "wrong CSCA" 1 "$bin/rcverify" "$chip" --csca "$src/keys-sample/csca-rsa.pem"
cp -r "$chip" "$work/tampered"
printf 'X' | dd of="$work/tampered/EF.DG11" bs=1 seek=10 conv=notrunc status=none
check "tampered DG" 1 "$bin/rcverify" "$work/tampered" --csca "$src/keys-sample/csca-ec.pem"
contains "tampered names DG11" "$work/out" "DG11"
check "verify missing dir" 2 "$bin/rcverify" "$work/nothing" --csca "$src/keys-sample/csca-ec.pem"

# A child under 6 and an exempt adult: no fingerprints, said clearly.
check "prepare child" 0 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/child-under-6.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/child" --chip-keys "$work/child.keys"
check "verify child" 0 "$bin/rcverify" "$work/child" --csca "$src/keys-sample/csca-ec.pem"
contains "child rule" "$work/out" "at most 5 years for a minor"
[ ! -e "$work/child/EF.DG7" ] && pass=$((pass + 1)) || { echo "FAIL: child has DG7"; fail=$((fail + 1)); }
check "prepare exempt" 0 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/exempt-adult.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/exempt" --chip-keys "$work/exempt.keys"
check "dump exempt" 0 "$bin/rcdump" "$work/exempt"
contains "dump shows exemption" "$work/out" "holder exempt (physically unable)"
check "verify exempt" 0 "$bin/rcverify" "$work/exempt" --csca "$src/keys-sample/csca-ec.pem"
contains "verify shows exemption" "$work/out" "exempt (physically unable), recorded in DG12"

# RSA-PSS signer.
check "prepare RSA-PSS" 0 "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --signer "$src/keys-sample/ds-rsa" --out "$work/chip-rsa" --chip-keys "$work/chip-rsa.keys"
check "verify RSA-PSS" 0 "$bin/rcverify" "$work/chip-rsa" --csca "$src/keys-sample/csca-rsa.pem"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
