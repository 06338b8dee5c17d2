# Shared by the CLI test scripts (sourced, not run): a scratch folder removed on exit,
# pass/fail counting, and the closing "N passed, N failed" line.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# check WHAT COMMAND...: counts COMMAND's success as a pass, else reports WHAT.
check() { local what=$1; shift; if "$@"; then ok; else bad "$what"; fi; }
# Prints the summary and fails the script when anything failed.
finish() {
  echo "$pass passed, $failures failed"
  [[ $failures -eq 0 ]]
}
