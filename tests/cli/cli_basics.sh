#!/usr/bin/env bash
# CLI contract on real files: versions, help, plugins list/describe JSON shapes, project
# new/info, and misuse (non-zero exit, one line on stderr that says what to do).
# Usage: cli_basics.sh KOHL_BINARY TEST_PLUGIN_DIR
set -euo pipefail
kohl=$1
test_plugins=$2
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

# Runs kohl, capturing stdout, stderr and the exit code.
run() {
  set +e
  "$kohl" "$@" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  set -e
}
# Asserts: exit code $1, exactly one line on stderr that starts with "kohl: error:" and contains $2.
misuse() {
  local want_rc=$1 want_text=$2
  shift 2
  run "$@"
  local lines
  lines=$(wc -l <"$tmp/err")
  if [[ $rc -eq $want_rc && $lines -eq 1 ]] && grep -q "^kohl: error: .*$want_text" "$tmp/err"; then ok; else
    bad "kohl $* -> rc=$rc (want $want_rc), stderr ($lines lines): $(cat "$tmp/err")"
  fi
}
json() { python3 -c "import json,sys; d=json.load(open('$tmp/out')); $1"; }

# --version and --help
run --version
check "--version prints 'kohl X.Y.Z'" grep -Eq '^kohl [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out"
run --help
check "--help exits 0" test $rc -eq 0
check "--help lists commands" grep -q "plugins" "$tmp/out"
for cmd in "project" "project new" "project info" "plugins" "plugins list" "plugins describe"; do
  # shellcheck disable=SC2086
  run $cmd --help
  check "kohl $cmd --help exits 0" test $rc -eq 0
  check "kohl $cmd --help explains" test -s "$tmp/out"
done

# plugins list --json with Kohl's plugins only
run plugins list --json
check "plugins list exits 0" test $rc -eq 0
check "plugins list JSON shape" json "
ids = {p['id']: p for p in d}
assert isinstance(d, list)
for p in d:
    for k in ('id', 'kind', 'version', 'file', 'status'): assert k in p, k
f = ids['org.kohl.augment.flip']
assert f['status'] == 'loaded' and f['kind'] == 'augmenter' and f['file'].endswith('augment_basic.so'), f
assert 'reason' not in f
"

# ... and with the bad test plugins on KOHL_PLUGIN_PATH: each rejected by file and reason
KOHL_PLUGIN_PATH=$test_plugins run plugins list --json
check "plugins list with bad plugins exits 0" test $rc -eq 0
check "bad plugins rejected with reasons, good ones kept" json "
import os
by_file = {}
for p in d: by_file.setdefault(os.path.basename(p['file']), []).append(p)
expect = {'bad_major.so': 'major versions must match', 'newer_minor.so': 'newer than this Kohl',
          'missing_entry.so': 'missing entry point', 'not_a_library.so': 'not a shared library',
          'register_throws.so': 'register function threw', 'duplicate_id.so': 'duplicate id'}
for f, why in expect.items():
    rows = by_file[f]
    assert all(r['status'] == 'rejected' and why in r['reason'] for r in rows), (f, rows)
assert by_file['test_migrating.so'][0]['status'] == 'loaded'
assert by_file['create_fails.so'][0]['status'] == 'loaded'
assert [r['status'] for r in by_file['augment_basic.so']] == ['loaded', 'loaded']
"
KOHL_PLUGIN_PATH=$test_plugins run plugins list
check "text list marks rejected plugins" grep -q "REJECTED.*not_a_library.so: not a shared library" "$tmp/out"
check "rejections are logged one line each" test "$(grep -c 'rejected:' "$tmp/err")" -eq 6

# plugins describe
run plugins describe org.kohl.augment.flip --json
check "describe exits 0" test $rc -eq 0
check "describe JSON has the schema" json "
assert d['id'] == 'org.kohl.augment.flip' and d['kind'] == 'augmenter'
p = d['params'][0]
assert p['key'] == 'p' and p['type'] == 'float' and p['default'] == 0.5 and p['min'] == 0 and p['max'] == 1, p
assert 'geometric' in d['capabilities'] and d['license_notes']
"
run plugins describe org.kohl.augment.brightness_contrast
check "describe text shows parameters" grep -q "brightness *float_range" "$tmp/out"
misuse 1 "no plugin with id 'org.nope.x'" plugins describe org.nope.x
KOHL_PLUGIN_PATH=$test_plugins run plugins describe org.kohl.test.migrating --json
check "describe a plugin found on KOHL_PLUGIN_PATH" json "assert d['params_version'] == 3"

# project new / info
proj="$tmp/skin.kohl"
run project new "$proj" --name "Skin tone"
check "project new exits 0" test $rc -eq 0
check "project new says where" grep -q "created project 'Skin tone' at $proj" "$tmp/out"
check "integrity ok after project new" test "$(sqlite3 "$proj" 'PRAGMA integrity_check')" = ok
run project info "$proj" --json
check "project info JSON" json "
assert d['name'] == 'Skin tone' and d['schema_version'] >= 2 and d['kohl_version'].count('.') == 2, d
assert 'created' in d
"
run project info "$proj"
check "project info text" grep -q "name: *Skin tone" "$tmp/out"
misuse 1 "already exists" project new "$proj" --name again
echo "not a database" >"$tmp/text.kohl"
cp "$tmp/text.kohl" "$tmp/text.orig"
misuse 1 "not a Kohl project" project info "$tmp/text.kohl"
check "refused file unchanged" cmp -s "$tmp/text.kohl" "$tmp/text.orig"
misuse 1 "no such project file" project info "$tmp/missing.kohl"

# misuse: exit 2, one line that names the command and what to run
misuse 2 "unknown or missing command (expected one of: project, data, plugins, faces, annotate, tryon, train, eval, runs, report, compare, export, bundle, serve)" 
misuse 2 "unknown or missing command" bogus
misuse 2 "project: unknown or missing command (expected one of: new, info)" project
misuse 2 "project new: --name is required" project new "$tmp/x.kohl"
misuse 2 "plugins list: .*--jsn" plugins list --jsn
check "misuse created nothing" test ! -e "$tmp/x.kohl"

finish
