#!/usr/bin/env bash
# The Document Signer in a SoftHSM2 token, end to end through the tools: a
# token of this test's own (its own SOFTHSM2_CONF, never the system's) with
# the sample DS keys imported and one key pair generated inside the token;
# rcperso prepare --signer pkcs11:... and rcverify PASS on each chip image;
# a wrong PIN, a wrong object, a PIN on the command line and --production
# with a sample key each refused with a message naming what, and no output.
set -uo pipefail
src=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$src/tests/integration/lib/checks.sh"

if ! command -v softhsm2-util >/dev/null; then
  echo "FAIL: softhsm2-util is missing (Debian softhsm2; scripts/setup.sh installs it)"
  exit 1
fi
# SoftHSM2 leaks a few bytes inside libsofthsm2.so while generating key pairs: no LeakSanitizer for the set-up.
ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" "$bin/rcperso_make_softhsm_token" "$work/hsm" >"$work/token.env" ||
  { echo "FAIL: token set-up"; exit 1; }
export SOFTHSM2_CONF=$work/hsm/softhsm2.conf
module=$(sed -n 's/^MODULE=//p' "$work/token.env")
pin_file=$work/hsm/pin
uri() { echo "pkcs11:token=rcperso-test;object=$1?module-path=$module&pin-source=file:$pin_file"; }

cp -r "$src/examples" "$work/examples"
cvca=$src/keys-sample/eac/cvca/cert.cvcert
prepare() {  # prepare NAME SIGNER [options...]: into $work/NAME with keys $work/NAME.keys
  local name=$1 signer=$2
  shift 2
  "$bin/rcperso" prepare --cvca "$cvca" --application "$work/examples/application.json" \
    --signer "$signer" --out "$work/$name" --chip-keys "$work/$name.keys" "$@"
}
no_output() {  # no_output NAME: a refused run left nothing behind
  if [ ! -e "$work/$1" ] && [ ! -e "$work/$1.keys" ] && [ -z "$(ls -A "$work" | grep partial)" ]; then
    pass=$((pass + 1))
  else
    echo "FAIL: $1: a refused run left output"; fail=$((fail + 1))
  fi
}

# Each key signs a chip image that passes Passive Authentication against the sample CSCA.
for case in "ds-ec csca-ec.pem" "ds-rsa csca-rsa.pem" "ds-hsm csca-ec.pem"; do
  set -- $case
  check "prepare with $1 in the token" 0 prepare "chip-$1" "$(uri "$1")"
  contains "$1: signer is the token" "$work/out" "in PKCS#11 token 'rcperso-test' (TEST ONLY)"
  check "verify $1 PASS" 0 "$bin/rcverify" "$work/chip-$1" --csca "$src/keys-sample/$2" --profile dk-residence-card
  contains "verify $1 PASS line" "$work/out" "PASS ("
  lacks "verify $1: no failed check" "$work/out" "FAIL"
done
check "dump shows the token-made DS certificate" 0 "$bin/rcdump" "$work/chip-ds-hsm"
contains "dump: HSM DS subject" "$work/out" "Document Signer HSM TEST ONLY"
# The token's key made the signature: the same image data verified against a different CSCA fails.
check "verify ds-hsm against the RSA CSCA fails" 1 "$bin/rcverify" "$work/chip-ds-hsm" --csca "$src/keys-sample/csca-rsa.pem"

# The PIN from the environment when the URI has none.
RCPERSO_PKCS11_PIN=$(cat "$pin_file") check "PIN from RCPERSO_PKCS11_PIN" 0 \
  prepare chip-env "pkcs11:token=rcperso-test;object=ds-ec?module-path=$module"

# Refusals: exit 2, a message naming what, nothing written.
echo 999999 >"$work/wrong.pin"
check "wrong PIN refused" 2 prepare wrong-pin "pkcs11:token=rcperso-test;object=ds-ec?module-path=$module&pin-source=file:$work/wrong.pin"
contains "wrong PIN: says so" "$work/err" "wrong PIN for token 'rcperso-test'"
no_output wrong-pin
check "wrong object refused" 2 prepare wrong-object "$(uri no-such-key)"
contains "wrong object: names it" "$work/err" "object=no-such-key"
contains "wrong object: says so" "$work/err" "no such private key on token 'rcperso-test'"
no_output wrong-object
check "wrong token refused" 2 prepare wrong-token "pkcs11:token=other;object=ds-ec?module-path=$module&pin-source=file:$pin_file"
contains "wrong token: says so and lists tokens" "$work/err" "no such token"
no_output wrong-token
check "pin-value never echoed" 2 prepare pin-value "pkcs11:token=rcperso-test;object=ds-ec?module-path=$module&pin-value=S3cr3tPIN"
contains "pin-value: wrong PIN" "$work/err" "wrong PIN"
lacks "pin-value: PIN not in stderr" "$work/err" "S3cr3tPIN"
lacks "pin-value: PIN not in stdout" "$work/out" "S3cr3tPIN"
no_output pin-value
check "key/certificate mismatch refused" 2 prepare mismatch "$(uri ds-mismatch)"
contains "mismatch: says so" "$work/err" "does not belong to its certificate"
no_output mismatch
for key in ds-ec ds-hsm; do
  check "--production refuses the TEST ONLY $key in the token" 2 prepare "prod-$key" "$(uri "$key")" --production
  contains "production $key: says why" "$work/err" "TEST ONLY sample key; --production refuses it"
  no_output "prod-$key"
done
check "bad URI refused" 2 prepare bad-uri "pkcs11:token=rcperso-test;objekt=ds-ec"
contains "bad URI: names the attribute" "$work/err" "attribute 'objekt'"
no_output bad-uri

echo "pkcs11_signer: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
