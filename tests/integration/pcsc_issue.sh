#!/usr/bin/env bash
# Personalization through the real PC/SC stack: a pcscd, vsmartcard's vpcd
# reader driver and rcsim as the card. Every example is issued and verified;
# the jmrtd-applet profile is used; locked cards refuse writes; a wrong MRZ
# fails PACE; faults are injected; and the card is pulled out at 30+ points of
# a run without ever being reported issued unless complete and verified.
set -uo pipefail
src=$1
BIN=$2
work=$(mktemp -d)
source "$src/scripts/pcsc-stack.sh"
cleanup() {
  [ -n "${CARD_PID:-}" ] && kill "$CARD_PID" 2>/dev/null
  private_pcsc_down
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/integration/lib/checks.sh"
# The write cases reuse one chip image many times: the profiles found first keep chip images
# (the shipped ones erase an image once its card is issued; checked at the end).
mkdir -p "$work/profiles/documents"
for f in "$src"/profiles/documents/*.json; do
  sed 's/"chip_image": "erase"/"chip_image": "keep"/' "$f" >"$work/profiles/documents/$(basename "$f")"
done
export RCPERSO_PROFILES=$work/profiles
field() {  # field JSONFILE KEY: the first "KEY": "value" in the file
  sed -n "s/.*\"$2\": *\"\\([^\"]*\\)\".*/\\1/p" "$1" | head -1
}

# A pcscd of its own with two vpcd readers, so this test runs beside the ones on the system pcscd.
if ! private_pcsc_up "$work/pcsc" 2 36500; then
  echo "FAIL: cannot run pcscd with the vpcd virtual reader; this test needs the real PC/SC stack"
  exit 1
fi
R0=$(private_reader_name 0)
R1=$(private_reader_name 1)
csca=$src/keys-sample/csca-ec.pem
cvca=$src/keys-sample/eac/cvca/cert.cvcert  # the chip trusts it for Terminal Authentication
eac=$src/keys-sample/eac  # TEST ONLY inspection systems: is (DG3), is-no-dg3, is-expired, is-other (another CVCA)
cp -r "$src/examples" "$work/examples"

# --- every example issued end to end, then inspected from the card --------
for example in application child-under-6 exempt-adult; do
  app=$work/examples/$example.json
  private_card_in 0 "$work/rcsim.log" --state "$work/$example.card" || exit 1
  check "$example: issue" 0 "$BIN/rcperso" issue --cvca "$cvca" --application "$app" --signer "$src/keys-sample/ds-ec" \
    --reader "$R0" --card-profile rcsim --keep "$work/$example.chip"
  contains "$example: ISSUED" "$work/out" "ISSUED"
  contains "$example: locked" "$work/out" "verified and locked"
  docno=$(field "$app" number)
  dob=$(field "$app" date_of_birth)
  doe=$(field "$app" date_of_expiry)
  check "$example: rcverify --reader --bac" 0 "$BIN/rcverify" --reader "$R0" --bac "$docno" "$dob" "$doe" \
    --csca "$csca" --crl "$src/keys-sample/csca-ec.crl.pem" --profile dk-residence-card \
    --save "$work/$example.read" --apdu-log "$work/$example.apdu"
  contains "$example: PA on the card" "$work/out" "PASS  DS chain to CSCA"
  contains "$example: PACE with the MRZ" "$work/out" "PASS  access control"
  contains "$example: PACE named" "$work/out" ", MRZ"
  contains "$example: issuer's rules" "$work/out" "PASS  validity period"
  contains "$example: Chip Authentication" "$work/out" "PASS  Chip Authentication"
  contains "$example: no AA on this profile" "$work/out" "SKIP  Active Authentication"
  contains "$example: no TA without terminal certificates" "$work/out" "SKIP  Terminal Authentication"
  contains "$example: DG3 withheld without TA" "$work/out" "SKIP  DG3 hash"
  check "$example: rcverify with Terminal Authentication" 0 "$BIN/rcverify" --reader "$R0" \
    --bac "$docno" "$dob" "$doe" --csca "$csca" --profile dk-residence-card \
    --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is/cert.cvcert" --terminal-key "$eac/is/key.pem" \
    --html "$work/$example.html"
  contains "$example: TA passes" "$work/out" "PASS  Terminal Authentication"
  # The QA page of the card as read, fingerprints included after TA (rendering: html_report.sh).
  contains "$example: HTML report from the card" "$work/$example.html" "card in reader $R0"
  contains "$example: HTML report shows PACE" "$work/$example.html" '<td class="status">PASS</td><td>access control'
  if [ "$example" = application ]; then
    contains "$example: HTML report shows the fingers" "$work/$example.html" 'alt="right_index" src="data:image/png'
  fi
  contains "$example: DG3 checked after TA" "$work/out" "PASS  DG3 hash"
  for f in EF.COM EF.SOD EF.DG1 EF.DG2; do
    if cmp -s "$work/$example.chip/$f" "$work/$example.read/$f"; then pass=$((pass + 1)); else
      echo "FAIL: $example: $f read from the card differs from the prepared one"; fail=$((fail + 1)); fi
  done
  lacks "$example: APDU log has no MRZ" "$work/$example.apdu" "$docno"
  mrz=$("$BIN/rcdump" "$work/$example.chip" --json | grep -A3 '"mrz": \[' | sed -n 's/^ *"\([0-9A-Z<]\{30\}\)",\{0,1\}$/\1/p' | tr -d '\n')
  check "$example: rcdump --reader --mrz" 0 "$BIN/rcdump" --reader 0 --mrz "$mrz"
  contains "$example: rcdump shows the holder" "$work/out" "Ærøskøbing-Åberg"
  if [ "$example" = application ]; then  # its record carries the card access number
    check "$example: TA with another CVCA's chain" 1 "$BIN/rcverify" --reader "$R0" --bac "$docno" "$dob" "$doe" \
      --csca "$csca" --terminal-cert "$eac/dv-other/cert.cvcert" --terminal-cert "$eac/is-other/cert.cvcert" \
      --terminal-key "$eac/is-other/key.pem"
    contains "$example: other CVCA: says why" "$work/out" "does not lead to the chip's CVCA"
    check "$example: expired terminal certificate" 2 "$BIN/rcverify" --reader "$R0" --bac "$docno" "$dob" "$doe" \
      --csca "$csca" --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is-expired/cert.cvcert" \
      --terminal-key "$eac/is-expired/key.pem"
    contains "$example: expired: says which" "$work/err" "expired"
    check "$example: CHAT without fingerprint rights" 2 "$BIN/rcverify" --reader "$R0" --bac "$docno" "$dob" "$doe" \
      --csca "$csca" --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is-no-dg3/cert.cvcert" \
      --terminal-key "$eac/is-no-dg3/key.pem"
    contains "$example: no DG3 right: says so" "$work/err" "grants no fingerprint (DG3) access"
    check "$example: rcverify --can" 0 "$BIN/rcverify" --reader "$R0" --can 482913 --csca "$csca"
    contains "$example: PACE with the CAN" "$work/out" ", CAN"
    check "$example: wrong CAN" 1 "$BIN/rcverify" --reader "$R0" --can 482914 --csca "$csca"
    contains "$example: wrong CAN: message" "$work/out" "does not accept the CAN; check the card access number"
    lacks "$example: APDU log has no CAN" "$work/$example.apdu" "482913"
  fi
  private_card_out 0 "$CARD_PID"
done

# --- Active Authentication: a profile that adds an ECDSA key (DG15) -------------------
sed -e 's/"data_groups": \[1, 2, 3, 7, 11, 12, 14\]/"data_groups": [1, 2, 3, 7, 11, 12, 14, 15]/' \
  -e 's/^  "chip_authentication": \(.*\),$/  "chip_authentication": \1,\n  "active_authentication": {"key": "ecdsa-brainpoolP256r1-sha256"},/' \
  "$src/profiles/documents/dk-residence-card.json" >"$work/dk-aa.json"
private_card_in 0 "$work/rcsim.log" --state "$work/aa.card" || exit 1
check "AA: issue" 0 "$BIN/rcperso" issue --cvca "$cvca" --application "$work/examples/application.json" --profile "$work/dk-aa.json" \
  --signer "$src/keys-sample/ds-ec" --reader "$R0" --card-profile rcsim
contains "AA: key loaded" "$work/out" "Active Authentication key loaded"
contains "AA: proven at read-back" "$work/out" "Active Authentication passed"
check "AA: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca"
contains "AA: rcverify line" "$work/out" "PASS  Active Authentication"
contains "AA: ECDSA named" "$work/out" "ECDSA"
private_card_out 0 "$CARD_PID"

# --- PACE-CAM: DG14's Chip Authentication key is PACE's static key; a clone fails -----
sed -e 's/"protocol": "0.4.0.127.0.7.2.2.4.2.2"/"protocol": "0.4.0.127.0.7.2.2.4.6.2"/' \
  "$src/profiles/documents/dk-residence-card.json" >"$work/dk-cam.json"
private_card_in 0 "$work/rcsim.log" --state "$work/cam.card" || exit 1
check "CAM: issue" 0 "$BIN/rcperso" issue --cvca "$cvca" --application "$work/examples/application.json" \
  --profile "$work/dk-cam.json" --signer "$src/keys-sample/ds-ec" --reader "$R0" --card-profile rcsim
contains "CAM: proven at read-back" "$work/out" "Chip Authentication (PACE-CAM) passed"
check "CAM: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca" \
  --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is/cert.cvcert" --terminal-key "$eac/is/key.pem"
contains "CAM: PACE-CAM chosen" "$work/out" "id-PACE-ECDH-CAM-AES-CBC-CMAC-128"
contains "CAM: its own line" "$work/out" "PASS  Chip Authentication (PACE-CAM)"
contains "CAM: no CA v1 after it" "$work/out" "SKIP  Chip Authentication"
contains "CAM: DG14 through PA" "$work/out" "PASS  DG14 hash"
contains "CAM: TA after PACE-CAM" "$work/out" "PASS  Terminal Authentication"
contains "CAM: DG3 after TA" "$work/out" "PASS  DG3 hash"
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --state "$work/cam.card" --cloned || exit 1
check "CAM clone: rcverify fails" 1 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca"
contains "CAM clone: the CAM line fails" "$work/out" "FAIL  Chip Authentication (PACE-CAM)"
contains "CAM clone: says why" "$work/out" "does not hold the private key of DG14"
check "CAM clone: rcdump warns" 0 "$BIN/rcdump" --reader "$R0" --bac RC0012345 880314 311101
contains "CAM clone: rcdump says FAIL" "$work/err" "Chip Authentication (PACE-CAM): FAIL"
private_card_out 0 "$CARD_PID"

# --- EAC v1 after BAC: BAC, Chip Authentication, then TA with the document number as ID_PICC ---
sed -e 's/"pace": \[.*\]/"pace": []/' "$src/profiles/documents/dk-residence-card.json" >"$work/dk-bac-eac.json"
private_card_in 0 "$work/rcsim.log" --state "$work/bac-eac.card" || exit 1
check "BAC+TA: issue" 0 "$BIN/rcperso" issue --cvca "$cvca" --application "$work/examples/application.json" \
  --profile "$work/dk-bac-eac.json" --signer "$src/keys-sample/ds-ec" --reader "$R0" --card-profile rcsim
check "BAC+TA: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca" \
  --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is/cert.cvcert" --terminal-key "$eac/is/key.pem"
contains "BAC+TA: BAC, no PACE" "$work/out" "BAC (the chip offers no PACE)"
contains "BAC+TA: CA v1" "$work/out" "PASS  Chip Authentication"
contains "BAC+TA: TA passes" "$work/out" "PASS  Terminal Authentication"
contains "BAC+TA: DG3 released" "$work/out" "PASS  DG3 hash"
private_card_out 0 "$CARD_PID"

# --- RSA terminal keys: an RSA CVCA on the chip, an RSA DV/IS chain made here (TEST ONLY) ---
"$BIN/rcperso_make_eac_pki" --rsa "$work/eac-rsa" >/dev/null || { echo "FAIL: cannot make the RSA chain"; exit 1; }
rsa=$work/eac-rsa
private_card_in 0 "$work/rcsim.log" --state "$work/rsa-ta.card" || exit 1
check "RSA TA: issue with the RSA CVCA" 0 "$BIN/rcperso" issue --cvca "$rsa/cvca-rsa/cert.cvcert" \
  --application "$work/examples/application.json" --signer "$src/keys-sample/ds-ec" --reader "$R0" --card-profile rcsim
check "RSA TA: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca" \
  --terminal-cert "$rsa/dv-rsa/cert.cvcert" --terminal-cert "$rsa/is-rsa/cert.cvcert" --terminal-key "$rsa/is-rsa/key.pem"
contains "RSA TA: passes" "$work/out" "PASS  Terminal Authentication"
contains "RSA TA: the RSA IS named" "$work/out" "DKTESTRSAIS001"
contains "RSA TA: DG3 released" "$work/out" "PASS  DG3 hash"
check "RSA TA: the EC chain does not lead to it" 1 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 \
  --csca "$csca" --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is/cert.cvcert" --terminal-key "$eac/is/key.pem"
contains "RSA TA: EC chain refused" "$work/out" "does not lead to the chip's CVCA"
private_card_out 0 "$CARD_PID"

# --- Chip Authentication over DH: a test profile with id-CA-DH-AES-CBC-CMAC-128, MODP 2048/224 ---
private_card_in 0 "$work/rcsim.log" --state "$work/ca-dh.card" || exit 1
check "CA-DH: issue" 0 "$BIN/rcperso" issue --cvca "$cvca" --application "$work/examples/application.json" \
  --profile "$src/tests/data/dk-residence-card-ca-dh.json" --signer "$src/keys-sample/ds-ec" --reader "$R0" \
  --card-profile rcsim
contains "CA-DH: key loaded" "$work/out" "Chip Authentication key loaded"
contains "CA-DH: proven at read-back" "$work/out" "Chip Authentication passed"
check "CA-DH: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca"
contains "CA-DH: rcverify line" "$work/out" "PASS  Chip Authentication"
contains "CA-DH: DH group named" "$work/out" "MODP 2048/224"
# Terminal Authentication signs Comp() of the terminal's DH key: SHA-1 of y.
check "CA-DH: rcverify with Terminal Authentication" 0 "$BIN/rcverify" --reader "$R0" \
  --bac RC0012345 880314 311101 --csca "$csca" \
  --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is/cert.cvcert" --terminal-key "$eac/is/key.pem"
contains "CA-DH: TA passes" "$work/out" "PASS  Terminal Authentication"
contains "CA-DH: DG3 checked after TA" "$work/out" "PASS  DG3 hash"
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --state "$work/ca-dh.card" --cloned || exit 1
check "CA-DH cloned chip: rcverify fails" 1 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 \
  --csca "$csca"
contains "CA-DH cloned chip: CA fails" "$work/out" "FAIL  Chip Authentication"
contains "CA-DH cloned chip: says why" "$work/out" "does not hold the private key of DG14"
private_card_out 0 "$CARD_PID"

# --- ISO/IEC 39794 biometrics: 39794-4 fingers in DG3, 39794-5 face in DG2 (a test profile) ---
iso39794=$src/tests/data/dk-residence-card-iso39794-4.json
private_card_in 0 "$work/rcsim.log" --state "$work/iso39794.card" || exit 1
check "39794: issue" 0 "$BIN/rcperso" issue --cvca "$cvca" --application "$work/examples/application.json" \
  --profile "$iso39794" --signer "$src/keys-sample/ds-ec" --reader "$R0" --card-profile rcsim
contains "39794: ISSUED" "$work/out" "ISSUED"
check "39794: rcverify with Terminal Authentication" 0 "$BIN/rcverify" --reader "$R0" \
  --bac RC0012345 880314 311101 --csca "$csca" --profile "$iso39794" \
  --terminal-cert "$eac/dv/cert.cvcert" --terminal-cert "$eac/is/cert.cvcert" --terminal-key "$eac/is/key.pem"
contains "39794: DG3 fingers read from the card" "$work/out" "ISO/IEC 39794-4 record, WSQ 400x500"
contains "39794: issuer's rule" "$work/out" "PASS  finger record format"
private_card_out 0 "$CARD_PID"

# --- key pairs generated on the chip: no private key on the host, no chip key file ----------
before_keys=$(find "$work" -name '*.keys*' | wc -l)
private_card_in 0 "$work/rcsim.log" --state "$work/onchip.card" || exit 1
check "keys on chip: issue" 0 "$BIN/rcperso" issue --keys-on-chip --cvca "$cvca" \
  --application "$work/examples/application.json" --profile "$work/dk-aa.json" --signer "$src/keys-sample/ds-ec" \
  --reader "$R0" --card-profile rcsim --keep "$work/onchip.chip"
contains "keys on chip: generated" "$work/out" "key pairs generated on the chip: Chip Authentication"
contains "keys on chip: SOD signed then" "$work/out" "EF.SOD signed over the chip's public keys"
lacks "keys on chip: no CA key loaded" "$work/out" "Chip Authentication key loaded"
lacks "keys on chip: no AA key loaded" "$work/out" "Active Authentication key loaded"
contains "keys on chip: CA at read-back" "$work/out" "Chip Authentication passed"
contains "keys on chip: AA at read-back" "$work/out" "Active Authentication passed"
contains "keys on chip: ISSUED" "$work/out" "verified and locked"
check "keys on chip: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca"
contains "keys on chip: rcverify PA" "$work/out" "PASS  DS chain to CSCA"
contains "keys on chip: rcverify CA" "$work/out" "PASS  Chip Authentication"
contains "keys on chip: rcverify AA" "$work/out" "PASS  Active Authentication"
check "keys on chip: kept image verifies" 0 "$BIN/rcverify" "$work/onchip.chip" --csca "$csca"
private_card_out 0 "$CARD_PID"
[ "$(find "$work" -name '*.keys*' | wc -l)" -eq "$before_keys" ] && pass=$((pass + 1)) ||
  { echo "FAIL: keys on chip: a chip key file was created"; fail=$((fail + 1)); }

# Prepared apart (with the shipped profile, which write finds again by its name): the image awaits
# the chip's keys and says so; writing it needs the Document Signer.
check "keys on chip: prepare" 0 "$BIN/rcperso" prepare --keys-on-chip --cvca "$cvca" \
  --application "$work/examples/child-under-6.json" --signer "$src/keys-sample/ds-ec" --out "$work/pending.chip"
contains "keys on chip: prepare says pending" "$work/out" "awaiting the chip's keys"
[ ! -e "$work/pending.chip/EF.SOD" ] && [ ! -e "$work/pending.chip/EF.DG14" ] && pass=$((pass + 1)) ||
  { echo "FAIL: keys on chip: the pending image has EF.SOD or EF.DG14"; fail=$((fail + 1)); }
check "keys on chip: rcverify of the pending image" 1 "$BIN/rcverify" "$work/pending.chip" --csca "$csca"
contains "keys on chip: rcverify says it awaits keys" "$work/out" "awaits the chip's own key pairs"
check "keys on chip: rcdump of the pending image" 0 "$BIN/rcdump" "$work/pending.chip"
contains "keys on chip: rcdump warns" "$work/err" "not a complete chip image"
private_card_in 0 "$work/rcsim.log" --state "$work/onchip2.card" || exit 1
check "keys on chip: write without --signer" 2 "$BIN/rcperso" write "$work/pending.chip" --reader "$R0" \
  --card-profile rcsim --csca "$csca"
contains "keys on chip: without signer: says what" "$work/err" "--signer"
lacks "keys on chip: without signer: card not connected" "$work/out" "card in"
check "keys on chip: write with --signer" 0 "$BIN/rcperso" write "$work/pending.chip" --reader "$R0" \
  --card-profile rcsim --csca "$csca" --signer "$src/keys-sample/ds-ec"
contains "keys on chip: the card was untouched" "$work/out" "card is blank"
lacks "keys on chip: nothing to erase" "$work/out" "erasing"
contains "keys on chip: written and locked" "$work/out" "verified and locked"
check "keys on chip: rcverify after write" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012346 220501 311101 --csca "$csca"
contains "keys on chip: CA after write" "$work/out" "PASS  Chip Authentication"
private_card_out 0 "$CARD_PID"
check "keys on chip: jmrtd-applet cannot generate" 2 "$BIN/rcperso" write "$work/pending.chip" --reader "$R0" \
  --card-profile jmrtd-applet --csca "$csca" --signer "$src/keys-sample/ds-ec"
contains "keys on chip: jmrtd-applet: says which entry" "$work/err" "no generate_keys.ca_ec"

# --- chip keys: one prepared image written many times below -----------------
# Every card gets its own copy of the key file, since an issued card's keys are erased.
check "prepare with chip keys" 0 "$BIN/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/app.chip" --chip-keys "$work/app.keys"
contains "prepare: keys apart" "$work/out" "chip keys written to $work/app.keys"
others=$(find "$work/app.chip" -type f ! -name 'EF.*' ! -name manifest.json | wc -l)
[ "$others" -eq 0 ] && ! grep -qiF "$(sed -n 's/^chip_authentication //p' "$work/app.keys")" \
  "$work/app.chip/manifest.json" && pass=$((pass + 1)) || { echo "FAIL: chip key material in the chip image"; fail=$((fail + 1)); }
[ "$(stat -c %a "$work/app.keys")" = 600 ] && pass=$((pass + 1)) || { echo "FAIL: key file not 0600"; fail=$((fail + 1)); }
check "prepare without --chip-keys" 2 "$BIN/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/nokeys.chip"
contains "prepare without keys: says why" "$work/err" "--chip-keys"
[ ! -e "$work/nokeys.chip" ] && pass=$((pass + 1)) || { echo "FAIL: image written without keys"; fail=$((fail + 1)); }
keys() {  # a fresh private copy of the prepared image's chip keys
  local copy
  copy=$(mktemp "$work/app.keys.XXXXXX")
  cat "$work/app.keys" >"$copy"
  echo "$copy"
}

# --- Chip Authentication: the key goes to one card; clones and wrong keys fail ---
private_card_in 0 "$work/rcsim.log" --state "$work/ca.card" || exit 1
k=$(keys)
check "CA: write" 0 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$k" --reader "$R0" --card-profile rcsim \
  --csca "$csca"
contains "CA: read-back runs it" "$work/out" "Chip Authentication passed"
contains "CA: key file erased" "$work/out" "chip keys erased"
[ ! -e "$k" ] && pass=$((pass + 1)) || { echo "FAIL: chip key file left after issue"; fail=$((fail + 1)); }
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --state "$work/ca.card" --cloned || exit 1
check "cloned chip: rcverify fails" 1 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca"
contains "cloned chip: CA fails" "$work/out" "FAIL  Chip Authentication"
contains "cloned chip: says why" "$work/out" "does not hold the private key of DG14"
contains "cloned chip: PACE still named" "$work/out" "PASS  access control"
check "cloned chip: rcdump warns" 0 "$BIN/rcdump" --reader "$R0" --bac RC0012345 880314 311101
contains "cloned chip: rcdump says FAIL" "$work/err" "Chip Authentication: FAIL"
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --state "$work/ca-clone.card" --cloned || exit 1
check "cloned blank card: not issued" 1 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" \
  --reader "$R0" --card-profile rcsim --csca "$csca"
contains "cloned blank card: CA named" "$work/err" "Chip Authentication failed"
lacks "cloned blank card: no ISSUED" "$work/out" "ISSUED"
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --state "$work/ca-keys.card" || exit 1
check "write without chip keys" 2 "$BIN/rcperso" write "$work/app.chip" --reader "$R0" --card-profile rcsim \
  --csca "$csca"
contains "without chip keys: says which" "$work/err" "needs its chip keys"
check "prepare again" 0 "$BIN/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
  --signer "$src/keys-sample/ds-ec" --out "$work/other.chip" --chip-keys "$work/other.keys"
check "keys of another preparation" 2 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$work/other.keys" \
  --reader "$R0" --card-profile rcsim --csca "$csca"
contains "foreign keys: refused before the card" "$work/err" "private key does not match EF.DG14"
chmod 644 "$work/other.keys"
check "key file open to others" 2 "$BIN/rcperso" write "$work/other.chip" --chip-keys "$work/other.keys" \
  --reader "$R0" --card-profile rcsim --csca "$csca"
contains "open key file: refused" "$work/err" "must be private"
private_card_out 0 "$CARD_PID"

# --- a locked card refuses writes, and a wrong MRZ fails BAC ---------------
private_card_in 0 "$work/rcsim.log" --state "$work/application.card" || exit 1
check "locked card: write refused" 1 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader "$R0" \
  --card-profile rcsim --csca "$csca"
contains "locked card: message" "$work/err" "the card is locked"
lacks "locked card: not issued" "$work/out" "ISSUED"
check "wrong MRZ: PACE fails" 1 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880315 311101 --csca "$csca"
contains "wrong MRZ: message" "$work/out" "PACE failed: the chip does not accept the MRZ"
check "no key on a locked card" 1 "$BIN/rcdump" --reader "$R0"
contains "no key: message" "$work/err" "access control is needed"
private_card_out 0 "$CARD_PID"

# --- the JMRTD applet's command set (no PACE: the BAC-only variant of the profile) ---
check "prepare BAC-only" 0 "$BIN/rcperso" prepare --application "$work/examples/application.json" \
  --profile dk-residence-card-bac --signer "$src/keys-sample/ds-ec" --out "$work/bac.chip"
private_card_in 0 "$work/rcsim.log" --card-profile jmrtd-applet --state "$work/jmrtd-pace.card" || exit 1
check "jmrtd-applet: a PACE chip image is refused" 2 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" \
  --reader "$R0" --card-profile jmrtd-applet --csca "$csca"
# Its DG3 (two 18 000-byte WSQ fingers) is refused first; the master-file check is in test_personalize.cpp.
contains "jmrtd-applet: DG3 too large for the applet" "$work/err" "allows files of at most 32767"
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --card-profile jmrtd-applet --state "$work/jmrtd.card" || exit 1
check "jmrtd-applet: rcsim profile does not fit" 1 "$BIN/rcperso" write "$work/bac.chip" \
  --reader "$R0" --card-profile rcsim --csca "$csca"
contains "jmrtd-applet: refused command named" "$work/err" "CREATE FILE EF.COM"
private_card_out 0 "$CARD_PID"
rm -f "$work/jmrtd.card"
private_card_in 0 "$work/rcsim.log" --card-profile jmrtd-applet --state "$work/jmrtd.card" || exit 1
check "jmrtd-applet: write" 0 "$BIN/rcperso" write "$work/bac.chip" --reader "$R0" \
  --card-profile jmrtd-applet --csca "$csca"
contains "jmrtd-applet: ISSUED" "$work/out" "ISSUED"
contains "jmrtd-applet: 255-byte chunks" "$work/out" "chunks of up to 255"
check "jmrtd-applet: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 --csca "$csca" \
  --card-profile jmrtd-applet
contains "jmrtd-applet: BAC without PACE" "$work/out" "BAC (the chip offers no PACE)"
private_card_out 0 "$CARD_PID"

# --- injected faults ------------------------------------------------------------
private_card_in 0 "$work/rcsim.log" --fail 00DADEAD=6581 --state "$work/lockfail.card" || exit 1
check "lock fails: not issued" 1 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader "$R0" \
  --card-profile rcsim --csca "$csca"
contains "lock fails: message" "$work/err" "locking the card failed: the card answered 6581"
lacks "lock fails: no ISSUED" "$work/out" "ISSUED"
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --no-extended --max-chunk 200 --state "$work/small.card" || exit 1
check "small chunks: steps down and issues" 0 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader "$R0" \
  --card-profile rcsim --csca "$csca"
contains "small chunks: step-down reported" "$work/out" "continuing with"
private_card_out 0 "$CARD_PID"

private_card_in 0 "$work/rcsim.log" --response-chunk 100 --exact-le --state "$work/t0.card" || exit 1
check "61xx GET RESPONSE and 6Cxx: issued" 0 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader "$R0" \
  --card-profile rcsim --csca "$csca"
check "61xx GET RESPONSE and 6Cxx: rcverify" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 \
  --csca "$csca" --save "$work/t0.read"
if cmp -s "$work/application.chip/EF.DG2" "$work/t0.read/EF.DG2"; then pass=$((pass + 1)); else
  echo "FAIL: EF.DG2 read through GET RESPONSE differs"; fail=$((fail + 1)); fi
private_card_out 0 "$CARD_PID"

# --- readers: two cards at once, choice by index, and mistakes ---------------
private_card_in 0 "$work/rcsim.log" --state "$work/slot0.card" || exit 1
pid0=$CARD_PID
private_card_in 1 "$work/rcsim.log" --state "$work/slot1.card" || exit 1
pid1=$CARD_PID
check "two readers: --reader is required" 2 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --card-profile rcsim \
  --csca "$csca"
contains "two readers: choices named" "$work/err" "$R1"
check "two readers: by index" 0 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader 1 --card-profile rcsim \
  --csca "$csca"
contains "two readers: slot 1 issued" "$work/out" "ISSUED: the card in $R1"
check "unknown reader" 2 "$BIN/rcverify" --reader "no such reader" --csca "$csca"
private_card_out 1 "$pid1"
check "empty reader" 3 "$BIN/rcverify" --reader "$R1" --csca "$csca"
contains "empty reader: message" "$work/err" "no card in the reader"
private_card_out 0 "$pid0"

# --- the card pulled out during the run --------------------------------------
# A full run's APDU count, from a clean issue of the same image.
private_card_in 0 "$work/rcsim.log" --state "$work/count.card" || exit 1
check "count run" 0 "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader "$R0" --card-profile rcsim --csca "$csca"
private_card_out 0 "$CARD_PID"
written=$(sed -n 's/.*write: *\([0-9]*\) APDUs.*/\1/p' "$work/out")
verified=$(sed -n 's/.*read back+verify: *\([0-9]*\) APDUs.*/\1/p' "$work/out")
total=$((${written:-0} + ${verified:-0}))
if [ -z "$total" ] || [ "$total" -lt 32 ]; then
  echo "FAIL: could not count the APDUs of a run (got '$total')"
  fail=$((fail + 1))
  total=64
fi
points=0
issued_after_return=0
refused_after_return=0
step=$((total / 32 > 0 ? total / 32 : 1))
for ((k = 0; k < total; k += step)); do
  state=$work/pulled-$k.card
  private_card_in 0 "$work/rcsim.log" --state "$state" --vanish-after "$k" || exit 1
  "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader "$R0" --card-profile rcsim --csca "$csca" \
    >"$work/out" 2>"$work/err"
  rc=$?
  if [ "$rc" -eq 0 ] || grep -qF ISSUED "$work/out"; then
    echo "FAIL: card pulled out after $k APDUs was reported issued"
    fail=$((fail + 1))
  else pass=$((pass + 1)); fi
  contains "pulled after $k: says not issued" "$work/err" "card NOT issued"
  private_card_out 0 "$CARD_PID"
  # The card comes back: finished from scratch, or refused if it got locked.
  private_card_in 0 "$work/rcsim.log" --state "$state" || exit 1
  "$BIN/rcperso" write "$work/app.chip" --chip-keys "$(keys)" --reader "$R0" --card-profile rcsim --csca "$csca" \
    >"$work/out" 2>"$work/err"
  rc=$?
  if [ "$rc" -eq 0 ]; then
    issued_after_return=$((issued_after_return + 1))
    check "pulled after $k, back: verifies" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 311101 \
      --csca "$csca" --profile dk-residence-card
  elif grep -qF "the card is locked" "$work/err"; then
    refused_after_return=$((refused_after_return + 1))
    check "pulled after $k, locked: still verifies" 0 "$BIN/rcverify" --reader "$R0" --bac RC0012345 880314 \
      311101 --csca "$csca"
  else
    echo "FAIL: card pulled after $k APDUs, back: neither issued nor refused as locked (exit $rc)"
    sed 's/^/    /' "$work/err" | tail -5
    fail=$((fail + 1))
  fi
  private_card_out 0 "$CARD_PID"
  points=$((points + 1))
done
echo "pulled out at $points points of a $total-APDU run: $issued_after_return redone and issued," \
  "$refused_after_return already locked"
[ "$points" -ge 30 ] && pass=$((pass + 1)) || { echo "FAIL: only $points pull-out points"; fail=$((fail + 1)); }

# A profile that cannot erase reports a torn card as spoiled.
private_card_in 0 "$work/rcsim.log" --card-profile jmrtd-applet --state "$work/torn-jmrtd.card" --vanish-after 40 || exit 1
check "jmrtd torn: not issued" 1 "$BIN/rcperso" write "$work/bac.chip" --reader "$R0" \
  --card-profile jmrtd-applet --csca "$csca"
private_card_out 0 "$CARD_PID"
private_card_in 0 "$work/rcsim.log" --card-profile jmrtd-applet --state "$work/torn-jmrtd.card" || exit 1
check "jmrtd torn, back: spoiled" 1 "$BIN/rcperso" write "$work/bac.chip" --reader "$R0" \
  --card-profile jmrtd-applet --csca "$csca"
contains "jmrtd torn: spoiled message" "$work/err" "spoiled"
private_card_out 0 "$CARD_PID"

# Retention with the shipped profiles: write erases the chip image once the card is issued, and
# issue --production refuses --keep (before opening the signer or touching a card).
check "retention: prepare" 0 env -u RCPERSO_PROFILES "$BIN/rcperso" prepare --application \
  "$work/examples/application.json" --profile dk-residence-card-bac --signer "$src/keys-sample/ds-ec" \
  --out "$work/erase.chip"
private_card_in 0 "$work/rcsim.log" --card-profile jmrtd-applet --state "$work/erase.card" || exit 1
check "retention: write" 0 env -u RCPERSO_PROFILES "$BIN/rcperso" write "$work/erase.chip" --reader "$R0" \
  --card-profile jmrtd-applet --csca "$csca"
contains "retention: erased message" "$work/out" "chip image erased: $work/erase.chip"
[ ! -e "$work/erase.chip" ] && pass=$((pass + 1)) || { echo "FAIL: the chip image is still there"; fail=$((fail + 1)); }
private_card_out 0 "$CARD_PID"
check "retention: issue --production --keep refused" 2 env -u RCPERSO_PROFILES "$BIN/rcperso" issue \
  --production --application "$work/examples/application.json" --signer "$src/keys-sample/ds-ec" \
  --reader "$R0" --card-profile rcsim --keep "$work/kept.chip"
contains "retention: --keep refusal says why" "$work/err" "erases chip images after issuance"

echo "pcsc_issue: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
