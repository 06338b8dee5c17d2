#!/usr/bin/env bash
# `kohl faces detect`, `kohl tryon` and `kohl annotate auto` on a real face (scikit-image's
# astronaut.png from Debian python3-skimage, public domain, never committed) and on files
# with no face or no image at all.
# Usage: cli_faces.sh KOHL_BINARY OUTPUT_DIR
set -euo pipefail
kohl=$1
outdir=$2
mkdir -p "$outdir"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
pyjson() { python3 -c "import json,sys; d=json.load(open('$1')); $2"; }
pycv() { /usr/bin/python3 -c "import cv2, numpy as np; $1"; }
astro=/usr/lib/python3/dist-packages/skimage/data/astronaut.png
test -f "$astro" || { echo "FAIL: $astro missing (scripts/setup.sh installs python3-skimage)" >&2; exit 1; }

# ---- faces detect -----------------------------------------------------------------------
"$kohl" faces detect "$astro" --json --draw "$outdir/cli_faces_detect.png" >"$tmp/d.json"
check "detect: one face, 68 landmarks, skin tone" pyjson "$tmp/d.json" "
f = d['faces']; assert len(f) == 1, f
f = f[0]; x, y, w, h = f['box']; assert 140 < x < 200 and 40 < y < 110 and 80 < w < 160, f['box']
assert len(f['landmarks']) == 68 and all(len(p) == 2 for p in f['landmarks'])
s = f['skin']; assert s['fitzpatrick'] in ('I', 'II', 'III') and 1 <= s['monk'] <= 5 and s['ita'] > 28, s
assert s['undertone'] in ('cool', 'neutral', 'warm'), s"
check "detect --draw wrote a picture" test -s "$outdir/cli_faces_detect.png"
"$kohl" faces detect "$astro" >"$tmp/d.txt"
check "detect: human-readable summary" grep -q "1 face" "$tmp/d.txt"
"$kohl" faces detect "$astro" --detector opencv-haar --json >"$tmp/h.json"
check "detect: the cascade finds it too" pyjson "$tmp/h.json" "assert len(d['faces']) == 1 and d['faces'][0]['detector'] == 'opencv-haar', d['faces']"

pycv "cv2.imwrite('$tmp/wall.png', np.full((300, 300, 3), 170, np.uint8))"
"$kohl" faces detect "$tmp/wall.png" --json >"$tmp/none.json"
check "no face: an empty list, exit 0" pyjson "$tmp/none.json" "assert d['faces'] == [], d"
head -c 5000 "$astro" >"$tmp/cut.png"
set +e
"$kohl" faces detect "$tmp/cut.png" >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "truncated image: exit 1" test $rc -eq 1
check "truncated image: the error names the file" grep -q "cut.png" "$tmp/err"
set +e
KOHL_DLIB_MODEL=/nope/model.dat "$kohl" faces detect "$astro" >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "missing landmark model: exit 1, names file and package" test $rc -eq 1
check "missing landmark model message" grep -q "/nope/model.dat.*libdlib-data" "$tmp/err"
"$kohl" faces detect --help >"$tmp/help"
check "--help states the landmark model's licence" grep -q "commercial" "$tmp/help"
"$kohl" plugins describe org.kohl.faces >"$tmp/desc"
check "plugins describe org.kohl.faces states the licence" grep -q "licence:.*commercial" "$tmp/desc"
"$kohl" plugins list --json >"$tmp/list.json"
check "plugins list shows the built-in annotator" pyjson "$tmp/list.json" "
b = [p for p in d if p['id'] == 'org.kohl.faces']; assert b and b[0]['status'] == 'built-in' and b[0]['kind'] == 'annotator', b"

# ---- tryon ------------------------------------------------------------------------------
"$kohl" tryon "$astro" --out "$outdir/cli_tryon.png" --lip '#a8243a' --eyeshadow '#6a4a7a' --blush '#e07a7a' \
  --opacity 0.8 --finish gloss --json >"$tmp/t.json"
check "tryon wrote the image" test -s "$outdir/cli_tryon.png"
check "tryon JSON: the palette in CIELAB" pyjson "$tmp/t.json" "
p = d['palette']; assert set(p) == {'lip', 'eyeshadow', 'blush'}, p
assert len(p['lip']['lab']) == 3 and p['lip']['finish'] == 'gloss', p"
# Only the face changes: outside the detected face's box (grown by a quarter) nothing moves.
check "tryon changes only the face's regions" pycv "
a = cv2.imread('$astro').astype(int); b = cv2.imread('$outdir/cli_tryon.png').astype(int)
assert a.shape == b.shape
import json; x, y, w, h = json.load(open('$tmp/t.json'))['box']
m = np.ones(a.shape[:2], bool); g = 0.25
m[int(y - g*h):int(y + h*(1+g)), int(x - g*w):int(x + w*(1+g))] = False
assert (a[m] == b[m]).all(), 'pixels outside the face changed'
changed = (a != b).any(axis=2).sum(); assert changed > 500, changed"
"$kohl" tryon "$astro" --out "$tmp/lab.png" --lip 45,50,20 >/dev/null
check "tryon takes L,a,b colours" test -s "$tmp/lab.png"
set +e
"$kohl" tryon "$astro" --out "$tmp/x.png" --lip red >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "bad colour: exit 2, says what is expected" test $rc -eq 2
check "bad colour message" grep -q "#rrggbb" "$tmp/err"
check "bad colour: nothing written" test ! -e "$tmp/x.png"
set +e
"$kohl" tryon "$tmp/wall.png" --out "$tmp/x.png" --lip '#a8243a' >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "tryon without a face: exit 1, says so" test $rc -eq 1
check "tryon without a face message" grep -q "no face" "$tmp/err"

# ---- annotate auto ------------------------------------------------------------------------
mkdir -p "$tmp/ds/faces" "$tmp/ds/empty"
cp "$astro" "$tmp/ds/faces/astronaut.png"
pycv "
a = cv2.imread('$astro'); cv2.imwrite('$tmp/ds/faces/astronaut-flipped.jpg', cv2.flip(a, 1))
cv2.imwrite('$tmp/ds/faces/astronaut-small.png', cv2.resize(a, (256, 256)))"
cp "$tmp/wall.png" "$tmp/ds/empty/wall.png"
p="$tmp/p.kohl"
"$kohl" project new "$p" --name faces >/dev/null
"$kohl" data import "$p" "$tmp/ds" --format folder >/dev/null 2>&1
"$kohl" annotate auto "$p" --threads 2 --json >"$tmp/a.json" 2>/dev/null
check "annotate: 3 faces found, 1 image without" pyjson "$tmp/a.json" "
assert d['images'] == 4 and d['annotated'] == 3 and d['no_face'] == 1 and d['errors'] == [], d
assert d['annotator'].startswith('auto:org.kohl.faces@') and 'commercial' in d['license'], d"
"$kohl" data ls "$p" --json >"$tmp/ls.json"
id=$(python3 -c "
import json, subprocess
for i in range(1, 5):
    r = json.loads(subprocess.check_output(['$kohl', 'data', 'show', '$p', str(i)]))
    if r['file'].endswith('faces/astronaut.png'): print(i)")
"$kohl" data show "$p" "$id" >"$tmp/show.json"
check "annotations stored: box, landmarks, mask, skin attributes, unreviewed" pyjson "$tmp/show.json" "
assert d['review'] == 'unreviewed', d['review']
assert len(d['landmarks']) == 1 and d['landmarks'][0]['layout'] == 'dlib-68' and len(d['landmarks'][0]['points']) == 68, d['landmarks']
assert len(d['boxes']) == 1 and d['boxes'][0]['label'] == 'face', d['boxes']
a = d['attributes']; assert a['skin_fitzpatrick'] in ('I', 'II', 'III') and 1 <= a['skin_monk'] <= 5 and a['skin_ita'] > 28, a
assert d.get('mask_label_map') == 'mt-14', d.get('mask_label_map')"
"$kohl" annotate auto "$p" --skip-done --json >"$tmp/a2.json" 2>/dev/null
check "annotate --skip-done leaves annotated images" pyjson "$tmp/a2.json" "assert d['skipped'] == 3 and d['annotated'] == 0, d"
# A second full run replaces the auto-annotator's landmarks and boxes (no duplicates).
"$kohl" annotate auto "$p" --json >/dev/null 2>&1
"$kohl" data show "$p" "$id" >"$tmp/show2.json"
check "re-annotating replaces, not duplicates" pyjson "$tmp/show2.json" "assert len(d['landmarks']) == 1 and len(d['boxes']) == 1, d"
"$kohl" data undo "$p" >"$tmp/undo.txt"
check "undo names the auto-annotation step" grep -q "auto-annotate" "$tmp/undo.txt"

finish
