#!/usr/bin/env bash
# The main job on the bundled example: prepare a signed chip image from
# examples/application.json with the TEST ONLY sample signer, verify it as an
# inspection system would, and show what is on it.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh

out=out/example-chip
rm -rf "$out"
mkdir -p out
echo "== rcperso prepare"
./build/bin/rcperso prepare --application examples/application.json --profile dk-residence-card \
  --signer keys-sample/ds-ec --out "$out"
echo "== rcverify"
./build/bin/rcverify "$out" --csca keys-sample/csca-ec.pem --profile dk-residence-card
echo "== rcdump"
./build/bin/rcdump "$out"
