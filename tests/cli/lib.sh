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
# new_synth_project PROJECT NAME SYNTH_DIR RATIOS DATASET SYNTH_OPTION...: the tiny project the
# training-side tests start from: `kohl project new PROJECT --name NAME`, `kohl data synth
# SYNTH_DIR SYNTH_OPTION...` (synthetic faces), imported (as dataset DATASET, or the default
# name when ""), split by subject with RATIOS (seed 1), snapshot v1. Uses $kohl.
new_synth_project() {
  local project=$1 name=$2 dir=$3 ratios=$4 dataset=$5
  shift 5
  local as=()
  [[ -n $dataset ]] && as=(--dataset "$dataset")
  "$kohl" project new "$project" --name "$name" >/dev/null
  "$kohl" data synth "$dir" "$@" >/dev/null 2>&1
  "$kohl" data import "$project" "$dir" --format kohl "${as[@]}" >/dev/null 2>&1
  "$kohl" data split "$project" --ratios "$ratios" --by-subject --seed 1 >/dev/null
  "$kohl" data snapshot "$project" v1 >/dev/null
}
# kill9_after_checkpoint RUN_DIR COMMAND...: runs COMMAND (a `kohl train` of many epochs) in
# the background and kills it with SIGKILL once RUN_DIR holds epoch-2.pt. A checkpoint file is
# renamed into place just before its row is committed to the project, so waiting for the second
# file makes sure the first one is recorded: the killed run always has a checkpoint to resume.
kill9_after_checkpoint() {
  local dir=$1
  shift
  "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 1200); do
    [[ -f "$dir/epoch-2.pt" ]] && break
    sleep 0.1
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
