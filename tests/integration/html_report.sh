#!/usr/bin/env bash
# QA reports as a person sees them: rcverify --html pages rendered by headless
# Chromium, and the screenshots read back. A good chip shows the green PASS
# banner, a tampered one the red FAIL banner with its failed checks, and the
# face, fingerprints and signature really render (a page with the pictures
# stripped out shows far fewer colours).
set -uo pipefail
src=$1
bin=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
source "$src/tests/integration/lib/checks.sh"

RCPERSO_TEST_BIN=$bin
source "$src/tests/integration/lib/browser.sh"
if [ -z "$browser" ]; then
  echo "FAIL: chromium is not installed (scripts/setup.sh installs it)"
  exit 1
fi

cp -r "$src/examples" "$work/examples"
chip=$work/chip
check "prepare example" 0 "$bin/rcperso" prepare --cvca "$src/keys-sample/eac/cvca/cert.cvcert" \
  --application "$work/examples/application.json" --profile dk-residence-card --signer "$src/keys-sample/ds-ec" \
  --out "$chip" --chip-keys "$work/chip.keys"

check "rcverify --html PASS" 0 "$bin/rcverify" "$chip" --csca "$src/keys-sample/csca-ec.pem" --html "$work/pass.html"
contains "the text report is still printed" "$work/out" "PASS ("
[ "$(stat -c %a "$work/pass.html")" = 600 ] && pass=$((pass + 1)) ||
  { echo "FAIL: the report (biometric data) is not private: mode $(stat -c %a "$work/pass.html")"; fail=$((fail + 1)); }
contains "face embedded as JPEG" "$work/pass.html" 'alt="face" src="data:image/jpeg;base64,'
contains "WSQ finger embedded as PNG" "$work/pass.html" 'alt="right_index" src="data:image/png;base64,'
contains "signature embedded" "$work/pass.html" 'alt="signature" src="data:image/jpeg;base64,'
contains "national characters kept" "$work/pass.html" "Ærøskøbing-Åberg"
contains "MRZ fillers escaped" "$work/pass.html" "IRDNKRC00123458&lt;&lt;&lt;"
contains "nothing loaded from outside" "$work/pass.html" "default-src 'none'; img-src data:"
lacks "no external references" "$work/pass.html" 'src="http'
check "an existing report is replaced whole" 0 "$bin/rcverify" "$chip" --csca "$src/keys-sample/csca-ec.pem" \
  --html "$work/pass.html"
[ -z "$(ls -A "$work" | grep -v -E '^(examples|chip|chip.keys|pass.html|out|err)$')" ] && pass=$((pass + 1)) ||
  { echo "FAIL: temporary files left beside the report: $(ls -A "$work")"; fail=$((fail + 1)); }

shoot "$work/pass.html" "$work/pass.png"
read -r w h colours greens reds < <(measure "$work/pass.png")
echo "pass page: ${w}x${h}, $colours colours, $greens banner-green pixels, $reds red pixels"
at_least "PASS banner is green" "$greens" 60000
at_most "no red on a passing page" "$reds" 0

# The same page without its pictures: the colours the images brought must be many.
sed 's/<img[^>]*>//g' "$work/pass.html" >"$work/noimg.html"
shoot "$work/noimg.html" "$work/noimg.png"
read -r _ _ plain_colours _ _ < <(measure "$work/noimg.png")
echo "the same page without images: $plain_colours colours"
at_least "face, fingers and signature rendered" "$((colours - plain_colours))" 1000

# A tampered chip: the place of birth changed after signing.
cp -r "$chip" "$work/tampered"
sed -i 's/Troms/Tromz/' "$work/tampered/EF.DG11"
check "rcverify --html FAIL" 1 "$bin/rcverify" "$work/tampered" --csca "$src/keys-sample/csca-ec.pem" \
  --html "$work/fail.html"
contains "failed hash row marked" "$work/fail.html" '<tr class="FAIL"><td class="status">FAIL</td><td>DG11 hash'
contains "the changed field is shown" "$work/fail.html" "Tromz"
shoot "$work/fail.html" "$work/fail.png"
read -r _ _ _ greens reds < <(measure "$work/fail.png")
echo "fail page: $greens green pixels, $reds banner-red pixels"
at_least "FAIL banner is red" "$reds" 60000
at_most "no green banner on a failing page" "$greens" 20000

check "an unwritable report path is an input error" 2 "$bin/rcverify" "$chip" --csca "$src/keys-sample/csca-ec.pem" \
  --html "$work/no/such/dir/r.html"
contains "names the report path" "$work/err" "no/such/dir"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
