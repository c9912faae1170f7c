#!/usr/bin/env bash
# Installs what rcperso needs on Debian 12 and builds it (Release) into build/.
# Used by both README commands; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  build-essential cmake pkg-config git openssl
  libssl-dev libjpeg62-turbo-dev libpng-dev libopenjp2-7-dev
  nlohmann-json3-dev libcli11-dev doctest-dev
  clang libclang-rt-14-dev
  libpcsclite-dev pcscd vsmartcard-vpcd libcrypto++-dev
  libsqlite3-dev sqlite3  # the issuance journal; sqlite3 (the shell) for tests/integration/batch_issue.sh
  libpq-dev  # the shared PostgreSQL journal (lib/issuance/journal_postgres.cpp)
  postgresql  # a throw-away server for tests/integration/journal_postgres.sh only
  vsmartcard-vpicc python3-virtualsmartcard python3-pycryptodome
  openpace  # cvc-print for tests/integration/cvc_print.sh only (GPL: run, never linked)
  libeac-dev  # OpenPACE's library for tests/interop/openpace_interop.cpp only (GPL: never in lib/ or tools/)
  chromium fonts-dejavu-core  # renders rcverify --html reports in tests/integration/html_report.sh only
  libp11-kit-dev  # p11-kit's pkcs11.h, the PKCS#11 types lib/pki/pkcs11_*.cpp compile against (header only)
  softhsm2  # the PKCS#11 token of the signer tests and bench_signer, and the default --signer pkcs11: module
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "== installing: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

echo "== building (Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DRCPERSO_WERROR=ON >/dev/null
cmake --build build -j"$(nproc)"
