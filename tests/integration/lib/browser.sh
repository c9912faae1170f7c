# Headless Chromium for the QA page tests: render a page, read the screenshot back.
# Source after checks.sh; needs $work, and RCPERSO_TEST_BIN set to the build's bin directory.
browser=$(command -v chromium || true)
# Colours of the verdict banner, as lib/inspection/html_report.cpp styles them.
green=1b7f3b
red=b3261e

shoot() {  # shoot PAGE.html SHOT.png: a 1200x2400 screenshot, or a failed check
  if [ -z "$browser" ]; then
    echo "FAIL: chromium is not installed (scripts/setup.sh installs it)"
    fail=$((fail + 1))
    return
  fi
  # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  if timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size=1200,2400 --screenshot="$2" "file://$1" >"$work/browser.log" 2>&1 && [ -s "$2" ]; then
    pass=$((pass + 1))
  else
    echo "FAIL: chromium did not render $(basename "$1")"
    tail -20 "$work/browser.log"
    fail=$((fail + 1))
  fi
}
# Prints "width height colours green_pixels red_pixels".
measure() { "$RCPERSO_TEST_BIN/rcperso_screenshot_check" "$1" "$green" "$red"; }
at_least() {  # at_least NAME VALUE MIN
  if [ "${2:-0}" -ge "$3" ]; then pass=$((pass + 1)); else
    echo "FAIL: $1: $2 < $3"
    fail=$((fail + 1))
  fi
}
at_most() {  # at_most NAME VALUE MAX
  if [ "${2:-0}" -le "$3" ]; then pass=$((pass + 1)); else
    echo "FAIL: $1: $2 > $3"
    fail=$((fail + 1))
  fi
}
