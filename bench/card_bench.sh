#!/usr/bin/env bash
# Card benchmark through the real PC/SC stack: pcscd, vpcd and rcsim. For an
# adult card (~57 KB) and a child's card (~22 KB), with the rcsim profile
# (extended length: 4096-byte writes and SM reads) and the
# jmrtd-applet profile (short APDUs: 255-byte writes, 223-byte SM reads),
# prints per card: APDUs, wire bytes against payload, and wall time. A third
# rcsim case is a child's card at 25 KB (the face budget raised in a copy of
# the profile), the size the inspection target names, with an Active
# Authentication key added so every step of an inspection is timed.
# Targets: wire <= 1.10 x payload with extended length, <= 1.25 x with
# 223-byte SM chunks; a 25 KB chip read and verified in under 0.5 s.
#
#   bench/card_bench.sh BUILD_BIN_DIR [CARDS_PER_CASE]
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
BIN=$(cd "$1" && pwd)
cards=${2:-3}
work=$(mktemp -d)
source "$src/scripts/pcsc-stack.sh"
trap '[ -n "${CARD_PID:-}" ] && kill "$CARD_PID" 2>/dev/null; pcsc_down; rm -rf "$work"' EXIT

PCSC_LOG=$work/pcscd.log pcsc_up
for example in application child-under-6; do
  "$BIN/rcperso" prepare --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --application "$src/examples/$example.json" --signer "$src/keys-sample/ds-ec" \
    --out "$work/$example" --chip-keys "$work/$example.keys" >/dev/null

  # The JMRTD applet has no PACE: the BAC-only variant of the profile.
  "$BIN/rcperso" prepare --application "$src/examples/$example.json" --signer "$src/keys-sample/ds-ec" \
    --profile dk-residence-card-bac --out "$work/$example-bac" >/dev/null
done
# 25 KB: the child's card with the face budget raised from 20000 to 23200
# bytes, plus DG15 with an ECDSA Active Authentication key.
python3 - "$src/profiles/documents/dk-residence-card.json" "$work/profile-25k.json" <<'PY'
import json, sys
profile = json.load(open(sys.argv[1]))
profile["face"]["max_bytes"] = 23200
profile["data_groups"].append(15)
profile["active_authentication"] = {"key": "ecdsa-brainpoolP256r1-sha256"}
json.dump(profile, open(sys.argv[2], "w"))
PY
"$BIN/rcperso" prepare --cvca "$src/keys-sample/eac/cvca/cert.cvcert" --application "$src/examples/child-under-6.json" \
  --signer "$src/keys-sample/ds-ec" --profile "$work/profile-25k.json" --out "$work/child-25k" \
  --chip-keys "$work/child-25k.keys" >/dev/null
for profile in rcsim jmrtd-applet; do
  examples=(application child-under-6)
  [ "$profile" = rcsim ] && examples+=(child-25k)
  for example in "${examples[@]}"; do
    for i in $(seq 1 "$cards"); do
      card_in 0 "$work/rcsim.log" --card-profile "$profile" --state "$work/card-$profile-$example-$i"
      chip=$work/$example
      eac=$src/keys-sample/eac
      keys=(--chip-keys "$work/$example.keys" --terminal-cert "$eac/dv/cert.cvcert"
        --terminal-cert "$eac/is/cert.cvcert" --terminal-key "$eac/is/key.pem")
      [ "$profile" = jmrtd-applet ] && chip=$work/$example-bac && keys=()
      "$BIN/bench_card" --reader "$(reader_name 0)" --card-profile "$profile" --chip "$chip" "${keys[@]}" \
        --csca "$src/keys-sample/csca-ec.pem" --label "$profile/$example #$i"
      card_out 0 "$CARD_PID"
      CARD_PID=""
    done
  done
done
