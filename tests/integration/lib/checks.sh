# Assertions shared by the integration scripts. Source it after setting
# `work` (a scratch directory); `pass` and `fail` count the results.
pass=0
fail=0

check() {  # check NAME EXPECTED_EXIT COMMAND...: runs COMMAND, output in $work/out and $work/err
  local name=$1 expected=$2
  shift 2
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  if [ "$got" -ne "$expected" ]; then
    echo "FAIL: $name: exit $got, expected $expected"
    sed 's/^/    /' "$work/out" "$work/err" | tail -40
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}

contains() {  # contains NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then
    pass=$((pass + 1))
  else
    echo "FAIL: $1: '$3' not found in $(basename "$2")"
    sed 's/^/    /' "$2" | tail -40
    fail=$((fail + 1))
  fi
}

lacks() {  # lacks NAME FILE TEXT
  if grep -qF -- "$3" "$2"; then
    echo "FAIL: $1: '$3' found in $(basename "$2")"
    sed 's/^/    /' "$2" | tail -40
    fail=$((fail + 1))
  else
    pass=$((pass + 1))
  fi
}
