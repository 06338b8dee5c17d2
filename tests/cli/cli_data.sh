#!/usr/bin/env bash
# `kohl data` on real files: import with --report, ls/stats JSON, label/review/undo/redo,
# split by subject, snapshot, export + re-import round trip, relink, and an import killed
# with SIGKILL leaving the project as it was.
# Usage: cli_data.sh KOHL_BINARY FIXTURES_DIR
set -euo pipefail
kohl=$1
fixtures=$2
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
pyjson() { python3 -c "import json,sys; d=json.load(open('$1')); $2"; }
p="$tmp/p.kohl"
"$kohl" project new "$p" --name data >/dev/null

# import with a report; bad files are reported, the rest goes on
"$kohl" data import "$p" "$fixtures/kohl" --format kohl --report "$tmp/r1.json" >"$tmp/out" 2>/dev/null
check "kohl import report" pyjson "$tmp/r1.json" "assert d['imported'] == 3 and d['skipped'] == 0 and d['errors'] == [], d"
"$kohl" data import "$p" "$fixtures/bad/truncated-image" --format folder --report "$tmp/r2.json" >/dev/null 2>&1
check "bad file reported, rest imported" pyjson "$tmp/r2.json" "
assert d['imported'] >= 1 and d['skipped'] == len(d['errors']) == 1, d
assert 'truncated' in d['errors'][0]['reason'] and d['errors'][0]['file'].endswith('.jpg'), d"
"$kohl" data import "$p" "$fixtures/kohl" --format kohl --json >"$tmp/r3.json" 2>/dev/null
check "re-import adds nothing" pyjson "$tmp/r3.json" "assert d['imported'] == 0 and d['duplicates'] == 3, d"
set +e
"$kohl" data import "$p" "$fixtures/kohl" --format nope >"$tmp/out" 2>"$tmp/err"; rc=$?
set -e
check "unknown format: exit 1, one line" test $rc -eq 1 -a "$(wc -l <"$tmp/err")" -eq 1
check "unknown format names the choices" grep -q "expected one of: folder, csv, kohl, coco-keypoints, mt, celebamask" "$tmp/err"

# ls / stats
"$kohl" data ls "$p" --json >"$tmp/ls.json"
check "ls JSON" pyjson "$tmp/ls.json" "
for k in ('images', 'by_split', 'by_label', 'by_source'): assert k in d, k
assert d['images'] == d['by_dataset']['kohl'] + d['by_dataset']['truncated-image'], d"
"$kohl" data stats "$p" --json >"$tmp/stats.json"
check "stats JSON has attribute histograms" pyjson "$tmp/stats.json" "assert d['attributes'], d"

# edits, undo, redo
id=1  # the first image imported: a record of the kohl fixture
"$kohl" data review "$p" "$id" rejected --by person:bo >/dev/null
"$kohl" data show "$p" "$id" >"$tmp/show.json"
check "review recorded" pyjson "$tmp/show.json" "assert d['review'] == 'rejected' and d['reviewer'] == 'person:bo', d"
"$kohl" data undo "$p" >"$tmp/out"
check "undo says what it undid" grep -q "undone: review image $id rejected" "$tmp/out"
"$kohl" data show "$p" "$id" >"$tmp/show.json"
check "undo restored the review" pyjson "$tmp/show.json" "assert d['review'] == 'accepted', d"
"$kohl" data redo "$p" >/dev/null
"$kohl" data show "$p" "$id" >"$tmp/show.json"
check "redo reapplied it" pyjson "$tmp/show.json" "assert d['review'] == 'rejected', d"
"$kohl" data attr "$p" "$id" ita=12.5 >/dev/null
"$kohl" data show "$p" "$id" >"$tmp/show.json"
check "numeric attribute" pyjson "$tmp/show.json" "assert d['attributes']['ita'] == 12.5, d"

# split by subject, snapshot, export of the snapshot, re-import in a new project
"$kohl" data split "$p" --ratios 0.5,0.5 --by-subject --seed 3 --json >"$tmp/split.json"
check "split JSON" pyjson "$tmp/split.json" "assert d['train'] + d['val'] == $(pyjson "$tmp/ls.json" "print(d['images'])"), d"
"$kohl" data snapshot "$p" v1 >/dev/null
"$kohl" data label "$p" "$id" skin_tone_monk=9 >/dev/null
"$kohl" data export "$p" --format kohl --out "$tmp/export" --snapshot v1 >/dev/null
q="$tmp/q.kohl"
"$kohl" project new "$q" --name copy >/dev/null
"$kohl" data import "$q" "$tmp/export" --format kohl --json >"$tmp/r4.json" 2>/dev/null
check "snapshot export re-imports whole" pyjson "$tmp/r4.json" "assert d['imported'] == $(pyjson "$tmp/ls.json" "print(d['images'])") and d['errors'] == [], d"
"$kohl" data ls "$q" --json >"$tmp/ls2.json"
check "the copy has the snapshot's labels, not the later edit" pyjson "$tmp/ls2.json" "assert d['by_label']['skin_tone_monk'].get('9', 0) == 0, d"
set +e
"$kohl" data export "$p" --format kohl --out "$tmp/export" >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "export never overwrites" test $rc -eq 1
check "export refusal says why" grep -q "not an empty folder" "$tmp/err"

# relink after moving the source folder
cp -r "$fixtures/csv" "$tmp/csv-src"
"$kohl" data import "$p" "$tmp/csv-src" --format csv >/dev/null 2>&1
mv "$tmp/csv-src" "$tmp/csv-moved"
"$kohl" data relink "$p" "$tmp/csv-moved" --json >"$tmp/relink.json" 2>/dev/null
check "relink finds moved files" pyjson "$tmp/relink.json" "assert d['relinked'] == 3, d"

# user label maps and remap tables
"$kohl" data label-map "$p" lips-3b background upper_lip lower_lip >/dev/null
"$kohl" data remap-table "$p" mt-14 lips-3b --table 0,0,0,0,0,0,0,1,0,2,0,0,0,0 >"$tmp/out"
check "remap table saved" grep -q "remap table mt-14 -> lips-3b saved" "$tmp/out"
set +e
"$kohl" data remap-table "$p" mt-14 lips-3b --table 0,1 >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "short remap table refused: exit 1, one line" test $rc -eq 1 -a "$(wc -l <"$tmp/err")" -eq 1
check "short remap table refusal says why" grep -q "needs 14 entries" "$tmp/err"
q2="$tmp/q2.kohl"
"$kohl" project new "$q2" --name remap >/dev/null
"$kohl" data label-map "$q2" lips-3b background upper_lip lower_lip >/dev/null
"$kohl" data remap-table "$q2" mt-14 lips-3b --table 0,0,0,0,0,0,0,1,0,2,0,0,0,0 >/dev/null
"$kohl" data import "$q2" "$fixtures/mt" --format mt --remap lips-3b --json >"$tmp/r5.json" 2>/dev/null
check "import --remap through a user table" pyjson "$tmp/r5.json" "assert d['imported'] == 4 and d['errors'] == [], d"
check "masks stored in the user map" test "$(sqlite3 "$q2" "SELECT COUNT(*) FROM masks WHERE label_map = 'lips-3b'")" -eq 4

# thumbnails: built once, then cached
"$kohl" data thumbs "$p" --json >"$tmp/thumbs.json" 2>/dev/null
check "thumbnails built" pyjson "$tmp/thumbs.json" "assert d['built'] > 0 and d['errors'] == [] and d['folder'].endswith('.kohl.thumbs'), d"
"$kohl" data thumbs "$p" --json >"$tmp/thumbs2.json" 2>/dev/null
check "thumbnails cached" pyjson "$tmp/thumbs2.json" "assert d['built'] == 0 and d['cached'] > 0, d"

# SIGKILL during a big import: the project is as it was (all or nothing), and intact.
big="$tmp/big"
python3 - "$fixtures/folder" "$big" <<'PY'
import os, sys, glob
src = sorted(glob.glob(os.path.join(sys.argv[1], '*', '*.jpg')))[0]
data = open(src, 'rb').read()
os.makedirs(os.path.join(sys.argv[2], 'a'))
for i in range(12000):
    # a COM segment after SOI makes each file's content (and hash) unique
    tag = ('copy %d' % i).encode()
    com = b'\xff\xfe' + (len(tag) + 2).to_bytes(2, 'big') + tag
    open(os.path.join(sys.argv[2], 'a', '%05d.jpg' % i), 'wb').write(data[:2] + com + data[2:])
PY
before=$(sqlite3 "$p" "SELECT COUNT(*) FROM images")
indexes="SELECT group_concat(name) FROM (SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name)"
indexes_before=$(sqlite3 "$p" "$indexes")
# Kill at several moments after the import starts (files are read and rows written in one
# overlapped phase, all inside one transaction): the project must hold all or nothing.
for when in 0.02 0.1 0.2; do
  "$kohl" data import "$p" "$big" --format folder >/dev/null 2>"$tmp/import.err" &
  pid=$!
  for _ in $(seq 1 500); do
    grep -q "^importing" "$tmp/import.err" 2>/dev/null && break
    sleep 0.01
  done
  sleep "$when"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  now=$(sqlite3 "$p" "SELECT COUNT(*) FROM images")
  echo "kill -9 ${when}s into the import: images $before -> $now"
  check "after kill -9 ${when}s in: all or nothing ($before -> $now)" test "$now" -eq "$before" -o "$now" -eq $((before + 12000))
  check "after kill -9 ${when}s in: integrity ok" test "$(sqlite3 "$p" 'PRAGMA integrity_check')" = ok
  # A bulk import drops and rebuilds the indexes inside its transaction: they are all there.
  check "after kill -9 ${when}s in: every index there" test "$(sqlite3 "$p" "$indexes")" = "$indexes_before"
  before=$now
done
"$kohl" data ls "$p" --json >/dev/null
check "project still opens after the kills" test $? -eq 0

# subjects and erasure: a dry run changes nothing; erasure names the snapshot that held the
# subject; the file keeps no trace; an unknown subject is refused by name
e="$tmp/e.kohl"
"$kohl" project new "$e" --name erase >/dev/null
"$kohl" data import "$e" "$fixtures/kohl" --format kohl >/dev/null 2>&1
"$kohl" data split "$e" --ratios 1,0 --seed 1 >/dev/null
"$kohl" data snapshot "$e" v1 >/dev/null
"$kohl" data subjects "$e" --json >"$tmp/subj.json"
check "subjects: codes and image counts" pyjson "$tmp/subj.json" "
assert [(s['subject'], s['images']) for s in d] == [('s001', 2), ('s002', 1)], d"
s001_hash=$("$kohl" data show "$e" 1 | python3 -c "import json, sys; print(json.load(sys.stdin)['hash'])")
"$kohl" data forget "$e" s001 --dry-run --json >"$tmp/dry.json"
check "forget --dry-run: what would go, nothing gone" pyjson "$tmp/dry.json" "
assert d['dry_run'] and d['images'] == 2 and d['snapshots'] == ['v1'], d"
check "... and the project is unchanged" test "$(sqlite3 "$e" 'SELECT COUNT(*) FROM images')" -eq 3
"$kohl" data forget "$e" s001 >"$tmp/forget.txt"
check "forget: says what it erased and that the files stay" \
  bash -c "grep -q \"erased subject 's001': 2 images\" '$tmp/forget.txt' && grep -q 'image files stay on disk' '$tmp/forget.txt'"
check "forget: images, subject and snapshot rows gone" test "$(sqlite3 "$e" \
  "SELECT (SELECT COUNT(*) FROM images) || ',' || (SELECT COUNT(*) FROM subjects) || ',' || (SELECT images FROM snapshots)")" = "1,1,1"
check "forget: the project file has no trace of its images" bash -c "! grep -q '$s001_hash' '$e'"
check "forget: integrity ok" test "$(sqlite3 "$e" 'PRAGMA integrity_check')" = ok
set +e
"$kohl" data forget "$e" s001 >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "forget an unknown subject: exit 1, named" test $rc -eq 1 -a -n "$(grep "no subject 's001'" "$tmp/err")"

finish
