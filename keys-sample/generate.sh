#!/usr/bin/env bash
# Regenerates the TEST ONLY sample PKI in this directory (ICAO 9303-12
# profiles, EC keys with explicit domain parameters). Every certificate says
# TEST ONLY in its subject; rcperso --production refuses them.
#
#   keys-sample/generate.sh            # rewrites everything here
#   keys-sample/generate.sh eac        # only the EAC PKI (CV certificates) in eac/
#
# The EAC PKI is written by our own tool rcperso_make_eac_pki (built from
# tests/support/make_eac_pki.cpp; `cmake --build build --target
# rcperso_make_eac_pki`). Set RCPERSO_MAKE_EAC_PKI to use another build.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)

eac_tool=${RCPERSO_MAKE_EAC_PKI:-$here/../build/bin/rcperso_make_eac_pki}
if [ ! -x "$eac_tool" ]; then
  echo "$eac_tool is missing: cmake --build build --target rcperso_make_eac_pki" >&2
  exit 2
fi
make_eac() {
  local tool=$eac_tool
  rm -rf "$here/eac"
  "$tool" "$here/eac"
  echo "EAC PKI written to $here/eac"
}
if [ "${1:-}" = "eac" ]; then
  make_eac
  exit 0
fi

command -v openssl >/dev/null || { echo "openssl is needed" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf csca-ec csca-rsa ds-ec ds-p256 ds-rsa ds-rsa-pkcs1 ds-ec-expired ds-ec-revoked
rm -f ./*.pem

CSCA_START=20250101000000Z
CSCA_END=20400101000000Z
DS_START=20250101000000Z
DS_END=20360101000000Z

cat >"$work/ext.cnf" <<'CNF'
[ csca ]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
2.5.29.16 = ASN1:SEQUENCE:csca_pkup
subjectAltName = email:csca@test.invalid
issuerAltName = email:csca@test.invalid
crlDistributionPoints = URI:http://pkd.test.invalid/DNK-TEST.crl

[ csca_pkup ]
notBefore = IMP:0,GENTIME:20250101000000Z
notAfter = IMP:1,GENTIME:20300101000000Z

[ ds ]
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
subjectKeyIdentifier = hash
2.5.29.16 = ASN1:SEQUENCE:ds_pkup
crlDistributionPoints = URI:http://pkd.test.invalid/DNK-TEST.crl

[ ds_pkup ]
notBefore = IMP:0,GENTIME:20250101000000Z
notAfter = IMP:1,GENTIME:20250401000000Z

[ ca ]
default_ca = sample
[ sample ]
database = index.txt
serial = serial
new_certs_dir = .
policy = any
default_md = sha256
default_crl_days = 3650
unique_subject = no
copy_extensions = none
[ any ]
countryName = supplied
organizationName = optional
organizationalUnitName = optional
commonName = supplied
serialNumber = optional
CNF

# ec_key OUT CURVE: EC key whose public key carries explicit domain parameters.
ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:"$2" -pkeyopt ec_param_enc:explicit -out "$1" 2>/dev/null; }
rsa_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:"$2" -out "$1" 2>/dev/null; }

# make_csca NAME KEYFILE SUBJECT [sigopts...]
make_csca() {
  local name=$1 key=$here/$2 subj=$3
  shift 3
  local dir=$work/$name
  mkdir -p "$dir"
  : >"$dir/index.txt"
  echo 1000 >"$dir/serial"
  openssl req -new -key "$key" -subj "$subj" -out "$dir/req.pem" "$@"
  (cd "$dir" && openssl ca -batch -config "$work/ext.cnf" -name sample -selfsign -keyfile "$key" \
     -in req.pem -out cert.pem -extensions csca -extfile "$work/ext.cnf" \
     -startdate "$CSCA_START" -enddate "$CSCA_END" -notext "$@" 2>/dev/null)
  cp "$dir/cert.pem" "$name.pem"
}

# make_ds CSCA_NAME CSCA_KEY OUTDIR DSKEY SUBJECT START END [sigopts...]
make_ds() {
  local csca=$1 csca_key=$here/$2 out=$3 key=$4 subj=$5 start=$6 end=$7
  shift 7
  local dir=$work/$csca
  mkdir -p "$out"
  openssl req -new -key "$key" -subj "$subj" -out "$work/ds-req.pem"
  (cd "$dir" && openssl ca -batch -config "$work/ext.cnf" -name sample -cert cert.pem -keyfile "$csca_key" \
     -in "$work/ds-req.pem" -out "$work/ds-cert.pem" -extensions ds -extfile "$work/ext.cnf" \
     -startdate "$start" -enddate "$end" -notext "$@" 2>/dev/null)
  openssl x509 -in "$work/ds-cert.pem" -out "$out/cert.pem"
  cp "$dir/cert.pem" "$out/csca.pem"  # the trust anchor that checks cards issued with this signer
  cp "$key" "$out/key.pem"
  chmod 600 "$out/key.pem"
}

umask 077
mkdir -p private
ec_key private/csca-ec.key brainpoolP384r1
rsa_key private/csca-rsa.key 4096
umask 022

make_csca csca-ec private/csca-ec.key "/C=DK/O=rcperso TEST ONLY/CN=CSCA Denmark EC TEST ONLY/serialNumber=001"
make_csca csca-rsa private/csca-rsa.key "/C=DK/O=rcperso TEST ONLY/CN=CSCA Denmark RSA TEST ONLY/serialNumber=002" \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256

ec_key "$work/ds-ec.key" brainpoolP256r1
make_ds csca-ec private/csca-ec.key ds-ec "$work/ds-ec.key" \
  "/C=DK/O=rcperso TEST ONLY/CN=Document Signer EC TEST ONLY/serialNumber=101" "$DS_START" "$DS_END"

ec_key "$work/ds-p256.key" prime256v1
make_ds csca-ec private/csca-ec.key ds-p256 "$work/ds-p256.key" \
  "/C=DK/O=rcperso TEST ONLY/CN=Document Signer P-256 TEST ONLY/serialNumber=102" "$DS_START" "$DS_END"

ec_key "$work/ds-ec-expired.key" brainpoolP256r1
make_ds csca-ec private/csca-ec.key ds-ec-expired "$work/ds-ec-expired.key" \
  "/C=DK/O=rcperso TEST ONLY/CN=Document Signer expired TEST ONLY/serialNumber=103" 20250101000000Z 20250201000000Z

ec_key "$work/ds-ec-revoked.key" brainpoolP256r1
make_ds csca-ec private/csca-ec.key ds-ec-revoked "$work/ds-ec-revoked.key" \
  "/C=DK/O=rcperso TEST ONLY/CN=Document Signer revoked TEST ONLY/serialNumber=104" "$DS_START" "$DS_END"

rsa_key "$work/ds-rsa.key" 3072
make_ds csca-rsa private/csca-rsa.key ds-rsa "$work/ds-rsa.key" \
  "/C=DK/O=rcperso TEST ONLY/CN=Document Signer RSA TEST ONLY/serialNumber=201" "$DS_START" "$DS_END" \
  -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256

# CRLs: the EC CSCA revokes ds-ec-revoked; the RSA CSCA revokes nothing.
(cd "$work/csca-ec" && openssl ca -batch -config "$work/ext.cnf" -name sample -cert cert.pem \
   -keyfile "$here/private/csca-ec.key" -revoke "$here/ds-ec-revoked/cert.pem" -crl_reason keyCompromise 2>/dev/null &&
 openssl ca -batch -config "$work/ext.cnf" -name sample -cert cert.pem -keyfile "$here/private/csca-ec.key" \
   -gencrl -crldays 3650 -out "$here/csca-ec.crl.pem" 2>/dev/null)
(cd "$work/csca-rsa" && openssl ca -batch -config "$work/ext.cnf" -name sample -cert cert.pem \
   -keyfile "$here/private/csca-rsa.key" -gencrl -crldays 3650 -out "$here/csca-rsa.crl.pem" \
   -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 2>/dev/null)

echo "sample PKI written to $(pwd)"
make_eac
