#!/usr/bin/env bash
# `kohl data synth`: a synthetic dataset written, imported into a project with --format kohl,
# counted and marked synthetic; the same seed gives the same files whatever --threads;
# --pairs links a bare and a made-up image per subject with the palette; a folder with files
# in it is refused.
# Usage: cli_synth.sh KOHL_BINARY PLUGIN_DIR
set -euo pipefail
kohl=$1
export KOHL_PLUGIN_PATH=$2
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
pyjson() { python3 -c "import json,sys; d=json.load(open('$1')); $2"; }

# Write, and again with another thread count: the same files.
"$kohl" data synth "$tmp/s1" --count 20 --seed 4 --json >"$tmp/s1.json" 2>/dev/null
check "synth summary" pyjson "$tmp/s1.json" "assert d['images'] == 20 and d['faces'] == 20 and d['pairs'] == 0 and d['size'] == 128, d"
check "dataset files" test -f "$tmp/s1/kohl-dataset.json" -a -f "$tmp/s1/annotations.jsonl" -a -f "$tmp/s1/params.jsonl"
"$kohl" data synth "$tmp/s2" --count 20 --seed 4 --threads 3 >"$tmp/out" 2>/dev/null
check "plain output says how to import" grep -q "kohl data import PROJECT $tmp/s2 --format kohl" "$tmp/out"
check "same seed, other --threads: same files" diff -r "$tmp/s1" "$tmp/s2"
"$kohl" data synth "$tmp/part" --count 5 --seed 4 --first 10 >/dev/null 2>&1
check "--first: a part holds the same faces as the whole" cmp "$tmp/part/images/synth/000012.png" "$tmp/s1/images/synth/000012.png"
"$kohl" data synth "$tmp/s3" --count 20 --seed 5 >/dev/null 2>&1
check "another seed: other images" bash -c "! cmp -s '$tmp/s1/images/synth/000000.png' '$tmp/s3/images/synth/000000.png'"

# Import into a project: counts, labels, annotations, the source marked synthetic.
p="$tmp/p.kohl"
"$kohl" project new "$p" --name synth >/dev/null
"$kohl" data import "$p" "$tmp/s1" --format kohl --json >"$tmp/r1.json" 2>/dev/null
check "imported all" pyjson "$tmp/r1.json" "assert d['imported'] == 20 and d['errors'] == [], d"
"$kohl" data ls "$p" --json >"$tmp/ls.json"
check "ls counts" pyjson "$tmp/ls.json" "
assert d['images'] == 20 and d['subjects'] == 20, d
assert d['by_source'] == {'synthetic': 20}, d
assert d['with_landmarks'] == 20 and d['with_masks'] == 20 and d['with_boxes'] == 20, d
assert sum(d['by_label']['monk'].values()) == 20 and len([c for c, n in d['by_label']['monk'].items() if n]) >= 5, d
assert sum(d['by_label']['fitzpatrick'].values()) == 20 and sum(d['by_label']['undertone'].values()) == 20, d
assert d['review'] == {'accepted': 20}, d"
check "source marked synthetic" test "$(sqlite3 "$p" "SELECT synthetic || '|' || consent FROM sources WHERE name = 'synthetic'")" = "1|synthetic: no person"
"$kohl" data show "$p" 1 >"$tmp/show.json"
check "a record: annotator, landmarks, mask" pyjson "$tmp/show.json" "
assert d['annotator'].startswith('auto:org.kohl.synth@'), d
assert d['subject'] == 'synth-4-0' and len(d['landmarks'][0]['points']) == 68, d"

# Pairs: bare + made up, linked; the palette as attributes and in palettes.json.
"$kohl" data synth "$tmp/pairs" --count 6 --seed 2 --pairs --json >"$tmp/pairs.json" 2>/dev/null
check "pairs summary" pyjson "$tmp/pairs.json" "assert d['images'] == 12 and d['pairs'] == 6, d"
check "palettes.json" pyjson "$tmp/pairs/palettes.json" "assert len(d['palettes']) == 6 and all(p['palette'] for p in d['palettes']), d"
q="$tmp/q.kohl"
"$kohl" project new "$q" --name pairs >/dev/null
"$kohl" data import "$q" "$tmp/pairs" --format kohl --json >"$tmp/r2.json" 2>/dev/null
check "pairs imported" pyjson "$tmp/r2.json" "assert d['imported'] == 12 and d['errors'] == [], d"
"$kohl" data ls "$q" --json >"$tmp/ls2.json"
check "pairs linked bare_makeup" pyjson "$tmp/ls2.json" "assert d['pairs'] == {'bare_makeup': 6} and d['subjects'] == 6, d"
check "palette attributes on the made-up images only" test "$(sqlite3 "$q" "SELECT COUNT(DISTINCT image_id) FROM attributes WHERE name LIKE 'palette_%'")" -eq 6

# Refusals: a folder with files, a bad size; --help says what it does.
set +e
"$kohl" data synth "$tmp/s1" --count 2 --seed 1 >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "non-empty folder refused: exit 1, one line" test $rc -eq 1 -a "$(wc -l <"$tmp/err")" -eq 1
check "the refusal says why" grep -q "not an empty folder" "$tmp/err"
set +e
"$kohl" data synth "$tmp/s9" --count 2 --seed 1 --size 10 >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "size out of range is misuse (exit 2)" test $rc -eq 2
"$kohl" data synth --help >"$tmp/help"
check "help lists the options" grep -q -- "--pairs" "$tmp/help"

finish
