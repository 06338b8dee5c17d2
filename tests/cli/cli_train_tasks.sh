#!/usr/bin/env bash
# `kohl train --task attributes` (one backbone, one classification head per label set) and
# `kohl train --task recommend --targets measured` (reference colours measured on the
# made-up image), end to end on tiny synthetic data (64 px faces trained at 32 px, 1-3
# epochs): metrics per head, images missing a label, the run's config, reproducibility,
# resume (finished and after kill -9), evaluation per head with the classify evaluator, the
# predictions CSV and the stored predictions; measured targets against the recorded
# palettes; what is missing is named. cli_train.sh covers classify and palette recommend.
# Usage: cli_train_tasks.sh KOHL_BINARY
set -euo pipefail
kohl=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
pyjson() { python3 -c "import json,sys; d=json.load(open('$1')); $2"; }

# ---- attributes -------------------------------------------------------------------------
# 40 faces; some lose their undertone label, some their monk label, some both (those have
# none of the run's labels: skipped and counted).
"$kohl" data synth "$tmp/synth" --count 40 --seed 3 --size 64 >/dev/null 2>&1
python3 - "$tmp/synth/annotations.jsonl" <<'EOF'
import json, sys
path = sys.argv[1]
rows = [json.loads(l) for l in open(path)]
for i, r in enumerate(rows):
    if i % 10 == 3:
        r['labels'].pop('monk'); r['labels'].pop('undertone')
    elif i % 5 == 1:
        r['labels'].pop('undertone')
    elif i % 5 == 2:
        r['labels'].pop('monk')
open(path, 'w').write(''.join(json.dumps(r) + '\n' for r in rows))
EOF
p="$tmp/a.kohl"
"$kohl" project new "$p" --name attributes >/dev/null
"$kohl" data import "$p" "$tmp/synth" --format kohl --dataset faces >/dev/null 2>&1
"$kohl" data split "$p" --ratios 0.6,0.2,0.2 --by-subject --seed 1 >/dev/null
"$kohl" data snapshot "$p" v1 >/dev/null
attr=(--snapshot v1 --backbone org.kohl.backbone.small_cnn --task attributes --label-sets monk,undertone --size 32
  --batch 8 --seed 5)

"$kohl" train "$p" "${attr[@]}" --epochs 2 --json >"$tmp/a1.json" 2>"$tmp/err"
check "attributes: run-1 done after 2 epochs" pyjson "$tmp/a1.json" "
assert d['run'] == 'run-1' and d['status'] == 'done' and d['epochs_done'] == 2, d"
check "attributes: loss and accuracy per head, their sum and mean" pyjson "$tmp/a1.json" "
for split in ('train', 'val'):
    m = d['metrics'][split]
    for k in ('loss_monk', 'loss_undertone', 'acc_monk', 'acc_undertone', 'loss', 'accuracy'):
        assert k in m, (split, k, m)
    assert 0 <= m['acc_monk'] <= 1 and 0 <= m['acc_undertone'] <= 1, m
    assert abs(m['accuracy'] - (m['acc_monk'] + m['acc_undertone']) / 2) < 1e-12, m
    assert abs(m['loss'] - (m['loss_monk'] + m['loss_undertone'])) < 1e-9, m
    assert m['loss_monk'] > 0 and m['loss_undertone'] > 0, m"
"$kohl" runs show "$p" run-1 --json >"$tmp/a-show.json"
check "attributes: the run records each set and its classes; images missing a label still train" pyjson \
  "$tmp/a-show.json" "
c = d['config']
assert d['task'] == 'attributes' and c['task'] == 'attributes', d['task']
assert c['label_sets'] == ['monk', 'undertone'], c
assert c['heads'] == [{'label_set': 'monk', 'classes': [str(i) for i in range(1, 11)]},
                      {'label_set': 'undertone', 'classes': ['cool', 'neutral', 'warm']}], c['heads']
assert 'classes' not in c, c
n, lab = c['data']['train'], c['labelled_train']
# some training images carry only one of the two labels: both heads saw fewer than all, together more
assert lab['monk'] < n and lab['undertone'] < n and lab['monk'] + lab['undertone'] > n, (n, lab)
assert c['data']['unlabelled_skipped'] >= 1, c['data']
m = d['metrics']
for split in ('train', 'val'):
    for k in ('acc_monk', 'acc_undertone', 'loss_monk', 'loss_undertone'):
        assert [x[0] for x in m[split][k]] == [1, 2], (split, k, m[split])"
"$kohl" runs ls "$p" --json >"$tmp/a-ls.json"
check "runs ls shows the label sets" pyjson "$tmp/a-ls.json" "assert d[0]['label_set'] == 'monk,undertone', d[0]"
"$kohl" runs ls "$p" >"$tmp/a-ls.txt"
check "runs ls (table): each head's validation accuracy" grep -q "monk,undertone .*val acc_monk [0-9.]*, val acc_undertone" "$tmp/a-ls.txt"

# Same seed: the same metrics; resuming run-1 to 3 epochs gives what 3 epochs straight give.
"$kohl" train "$p" "${attr[@]}" --epochs 3 --json >"$tmp/a2.json" 2>/dev/null
"$kohl" train "$p" --resume run-1 --epochs 3 --json >"$tmp/a3.json" 2>/dev/null
check "attributes resume: run-1 continues to epoch 3" pyjson "$tmp/a3.json" "
assert d['run'] == 'run-1' and d['status'] == 'done' and d['epochs_done'] == 3, d"
check "attributes: reproducible, and resume equals training straight through" python3 -c "
import json, subprocess
m = [json.loads(subprocess.check_output(['$kohl', 'runs', 'show', '$p', r, '--json']))['metrics'] for r in ('run-1', 'run-2')]
for split in ('train', 'val'):
    for k in ('loss', 'accuracy', 'acc_monk', 'acc_undertone', 'loss_monk', 'loss_undertone'):
        assert [x[0] for x in m[0][split][k]] == [1, 2, 3], (split, k)
        assert m[0][split][k] == m[1][split][k], (split, k, m[0][split][k], m[1][split][k])"

# kill -9 during an attributes run, then resume.
kill9_after_checkpoint "$p.runs/run-3" "$kohl" train "$p" "${attr[@]}" --epochs 40
done_before=$("$kohl" runs show "$p" run-3 --json | python3 -c "import json,sys; print(json.load(sys.stdin)['checkpoints'][-1]['epoch'])")
"$kohl" train "$p" --resume run-3 --epochs $((done_before + 1)) --json >"$tmp/a-r3.json" 2>/dev/null
check "attributes: resume after kill -9" pyjson "$tmp/a-r3.json" "
assert d['status'] == 'done' and d['epochs_done'] == $((done_before + 1)), d
assert 'acc_undertone' in d['metrics']['val'], d"

# Evaluation: every head through org.kohl.eval.classify, on the images carrying its label.
"$kohl" eval "$p" run-1 --split test --predictions-out "$tmp/a-pred.csv" --json >"$tmp/a-eval.json" 2>/dev/null
check "attributes eval: the classify evaluator's output per head" pyjson "$tmp/a-eval.json" "
assert d['task'] == 'attributes' and d['run'] == 'run-1' and d['split'] == 'test' and d['checkpoint_epoch'] == 3, d
assert d['label_sets'] == ['monk', 'undertone'] and set(d['heads']) == {'monk', 'undertone'}, d.keys()
for s in ('monk', 'undertone'):
    h = d['heads'][s]
    assert h['task'] == 'classify', h
    a = h['metrics']['accuracy']; assert 0 <= a['value'] <= 1 and a['ci95'][0] <= a['value'] <= a['ci95'][1], a
    assert 'by_band' in h and h['by_band'], h.keys()
    assert len(h['confusion']) == len(h['classes']), h['confusion']
assert d['heads']['undertone']['classes'] == ['cool', 'neutral', 'warm']
mean = (d['heads']['monk']['metrics']['accuracy']['value'] + d['heads']['undertone']['metrics']['accuracy']['value']) / 2
assert abs(d['metrics']['accuracy_mean']['value'] - mean) < 1e-12, d['metrics']"
check "attributes eval: the CSV has every head; its numbers are the evaluator's" python3 -c "
import csv, json
d = json.load(open('$tmp/a-eval.json'))
rows = list(csv.DictReader(open('$tmp/a-pred.csv')))
head = open('$tmp/a-pred.csv').readline().strip().split(',')
want = ['sample', 'true_monk', 'pred_monk'] + ['p_monk_%d' % i for i in range(1, 11)] + \
       ['true_undertone', 'pred_undertone', 'p_undertone_cool', 'p_undertone_neutral', 'p_undertone_warm']
assert head == want, head
assert len(rows) == d['n'] and rows, (len(rows), d['n'])
for s, classes in (('monk', [str(i) for i in range(1, 11)]), ('undertone', ['cool', 'neutral', 'warm'])):
    for r in rows:
        p = [float(r['p_%s_%s' % (s, c)]) for c in classes]
        assert abs(sum(p) - 1) < 1e-6, (s, p)  # written with 9 digits
        assert r['pred_' + s] == classes[p.index(max(p))], r
    labelled = [r for r in rows if r['true_' + s]]
    assert len(labelled) == d['heads'][s]['n'], (s, len(labelled), d['heads'][s]['n'])
    acc = sum(r['true_' + s] == r['pred_' + s] for r in labelled) / len(labelled)
    assert abs(acc - d['heads'][s]['metrics']['accuracy']['value']) < 1e-12, (s, acc)
# some test images lack one of the labels: still predicted for every head
assert any(not r['true_monk'] for r in rows) or any(not r['true_undertone'] for r in rows), 'no partly labelled image'"
check "attributes eval: stored predictions keep every head" python3 -c "
import json, sqlite3
db = sqlite3.connect('$p')
ev = json.load(open('$tmp/a-eval.json'))['evaluation']
recs = [json.loads(r[0]) for r in db.execute('SELECT record FROM predictions WHERE evaluation_id = ?', (ev,))]
assert recs and all(set(r['heads']) == {'monk', 'undertone'} for r in recs), recs[:1]
assert all(len(r['heads']['monk']['probs']) == 10 and len(r['heads']['undertone']['probs']) == 3 for r in recs)
assert any(r['heads']['undertone']['truth'] is None or r['heads']['monk']['truth'] is None for r in recs)"
"$kohl" eval "$p" run-1 --split test >"$tmp/a-eval.txt" 2>/dev/null
check "attributes eval text: one block per head" bash -c "grep -q 'head monk' '$tmp/a-eval.txt' && grep -q 'head undertone' '$tmp/a-eval.txt'"

# --label-set X with --task attributes is one set (here with class weights per head); both
# at once, or an unknown set, is an error.
"$kohl" train "$p" --snapshot v1 --backbone org.kohl.backbone.small_cnn --task attributes --label-set undertone \
  --class-weights --size 32 --batch 8 --epochs 1 --json >"$tmp/a-one.json" 2>/dev/null
"$kohl" runs show "$p" "$(python3 -c "import json; print(json.load(open('$tmp/a-one.json'))['run'])")" --json >"$tmp/a-one-show.json"
check "attributes with --label-set: one head; class weights" pyjson "$tmp/a-one-show.json" "
assert d['status'] == 'done' and d['config']['class_weights'] is True, d['status']
assert d['config']['label_sets'] == ['undertone'] and len(d['config']['heads']) == 1, d['config']
assert d['config']['label_set'] == '', d['config']"
set +e
"$kohl" train "$p" --snapshot v1 --backbone org.kohl.backbone.small_cnn --task attributes --label-set monk \
  --label-sets undertone >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "attributes with --label-set and --label-sets: exit 1, says why" test $rc -eq 1 -a -n "$(grep "not both" "$tmp/err")"
set +e
"$kohl" train "$p" --snapshot v1 --backbone org.kohl.backbone.small_cnn --task attributes --label-sets monk,nope \
  >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "attributes with an unknown label set: exit 1, named" test $rc -eq 1 -a -n "$(grep "'nope'" "$tmp/err")"

# ---- recommend, measured targets ---------------------------------------------------------
"$kohl" data synth "$tmp/pairs" --count 30 --seed 4 --size 64 --pairs >/dev/null 2>&1
q="$tmp/q.kohl"
"$kohl" project new "$q" --name measured >/dev/null
"$kohl" data import "$q" "$tmp/pairs" --format kohl >/dev/null 2>&1
"$kohl" data split "$q" --ratios 0.6,0.2,0.2 --by-subject --seed 1 >/dev/null
"$kohl" data snapshot "$q" v1 >/dev/null
rec=(--snapshot v1 --backbone org.kohl.backbone.small_cnn --task recommend --regions foundation,lip --size 32 --batch 8
  --seed 2 --epochs 1)
"$kohl" train "$q" "${rec[@]}" --targets measured --json >"$tmp/m.json" 2>/dev/null
check "measured targets: trained, validation CIEDE2000 logged" pyjson "$tmp/m.json" "
assert d['run'] == 'run-1' and d['status'] == 'done' and d['metrics']['val']['mean_de'] > 0, d"
"$kohl" runs show "$q" run-1 --json >"$tmp/m-show.json"
check "measured targets: recorded in the run" pyjson "$tmp/m-show.json" "
c = d['config']; assert c['targets'] == 'measured' and c['regions'] == ['foundation', 'lip'], c
assert c['data']['unmeasured_skipped'] == 0 and c['data']['train'] > 0, c['data']"
"$kohl" train "$q" --resume run-1 --epochs 2 --json >"$tmp/m2.json" 2>/dev/null
check "measured targets: a resumed run keeps them" python3 -c "
import json, subprocess
d = json.load(open('$tmp/m2.json')); assert d['status'] == 'done' and d['epochs_done'] == 2, d
c = json.loads(subprocess.check_output(['$kohl', 'runs', 'show', '$q', 'run-1', '--json']))['config']
assert c['targets'] == 'measured' and c['epochs'] == 2, c"
"$kohl" train "$q" "${rec[@]}" --json >"$tmp/pal.json" 2>/dev/null
"$kohl" runs show "$q" run-2 --json >"$tmp/pal-show.json"
check "palette targets stay the default" pyjson "$tmp/pal-show.json" "assert d['config']['targets'] == 'palette', d['config']"
"$kohl" runs ls "$q" >"$tmp/rec-ls.txt"
check "runs ls (table): a recommender shows its regions and mean CIEDE2000, not an accuracy" \
  bash -c "grep -q '^run-2 .*foundation,lip .*val mean CIEDE2000 [0-9.]*\$' '$tmp/rec-ls.txt' && ! grep -q 'val acc' '$tmp/rec-ls.txt'"
"$kohl" eval "$q" run-1 --split test --json >"$tmp/m-eval.json" 2>/dev/null
# References of both runs on the larger training split (a pair enters a palette run only
# when its random palette has every region; a measured run takes every pair).
"$kohl" eval "$q" run-1 --split train --predictions-out "$tmp/m.csv" --json >/dev/null 2>&1
"$kohl" eval "$q" run-2 --split train --predictions-out "$tmp/pal.csv" --json >/dev/null 2>&1
check "measured eval: CIEDE2000 per region" pyjson "$tmp/m-eval.json" "
assert d['task'] == 'recommend' and d['regions'] == ['foundation', 'lip'], d
assert d['metrics']['mean_de']['value'] > 0 and set(d['per_region']) == {'foundation', 'lip'}, d"
# The eval of the measured run uses measured references: against the palettes (the palette
# run's references, same pairs) they differ, by about what the unit test measures
# (tests/faces/palette_measure.test.cpp: median CIEDE2000 5-8 for foundation and lip at 64
# px; here CIE76, which counts chroma differences in full: seen 7.7 and 17.3).
check "measured eval: its references are the measured colours, near the palettes" python3 - "$tmp/m.csv" "$tmp/pal.csv" <<'EOF'
import csv, math, sys
m = {r['sample']: r for r in csv.DictReader(open(sys.argv[1]))}
p = {r['sample']: r for r in csv.DictReader(open(sys.argv[2]))}
assert p and set(p) <= set(m) and len(m) > len(p), (len(m), len(p))
for region in ('foundation', 'lip'):
    d = []
    for s in p:
        a = [float(m[s]['%s_true_%s' % (region, c)]) for c in 'Lab']
        b = [float(p[s]['%s_true_%s' % (region, c)]) for c in 'Lab']
        d.append(math.dist(a, b))  # CIE76
    d.sort()
    med = d[len(d) // 2]
    print(region, 'measured vs palette, CIE76: median %.2f max %.2f (n %d)' % (med, d[-1], len(d)))
    assert d[0] > 0, (region, 'a measured reference equals the palette')
    assert med < {'foundation': 15, 'lip': 25}[region], (region, med)
EOF

# Made-up images without landmarks or a mask: skipped and counted; none at all: an error
# naming what is missing.
strip() {  # strip SRC_DIR DST_DIR EVERY: landmarks and masks off every EVERY-th made-up image
  python3 - "$1" "$2" "$3" <<'EOF'
import json, os, shutil, sys
src, dst, every = sys.argv[1], sys.argv[2], int(sys.argv[3])
shutil.copytree(src, dst)
rows = [json.loads(l) for l in open(os.path.join(src, 'annotations.jsonl'))]
made_up = 0
for r in rows:
    if r['file'].endswith('_makeup.png'):
        if made_up % every == 0:
            r.pop('landmarks', None)
            for k in [k for k in r if k.startswith('mask')]:
                r.pop(k)
        made_up += 1
open(os.path.join(dst, 'annotations.jsonl'), 'w').write(''.join(json.dumps(r) + '\n' for r in rows))
EOF
}
project_from() {  # project_from DIR PROJECT
  "$kohl" project new "$2" --name unmeasured >/dev/null
  "$kohl" data import "$2" "$1" --format kohl >/dev/null 2>&1
  "$kohl" data split "$2" --ratios 0.6,0.2,0.2 --by-subject --seed 1 >/dev/null
  "$kohl" data snapshot "$2" v1 >/dev/null
}
strip "$tmp/pairs" "$tmp/pairs-some" 3   # 10 of 30 made-up images
project_from "$tmp/pairs-some" "$tmp/s.kohl"
"$kohl" train "$tmp/s.kohl" "${rec[@]}" --targets measured --json >"$tmp/s.json" 2>/dev/null
"$kohl" runs show "$tmp/s.kohl" run-1 --json >"$tmp/s-show.json"
check "measured targets: pairs whose made-up image has no landmarks or mask are skipped and counted" pyjson \
  "$tmp/s-show.json" "
c = d['config']['data']; m = json.load(open('$tmp/m-show.json'))['config']['data']
assert d['status'] == 'done' and 1 <= c['unmeasured_skipped'] <= 10, c
assert c['train'] + c['val'] + c['unmeasured_skipped'] == m['train'] + m['val'], (c, m)"
strip "$tmp/pairs" "$tmp/pairs-none" 1
project_from "$tmp/pairs-none" "$tmp/u.kohl"
set +e
"$kohl" train "$tmp/u.kohl" "${rec[@]}" --targets measured >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "measured targets without any landmarks or masks: exit 1" test $rc -eq 1
check "... naming the file, what is missing and what to run" \
  grep -q "_makeup.png: the made-up image has no dlib-68 landmarks and no MT-14 mask (run .kohl annotate auto. first)" "$tmp/err"
set +e
"$kohl" train "$q" "${rec[@]}" --regions eyeliner --targets measured >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "measured eyeliner: refused, named" test $rc -eq 1 -a -n "$(grep "eyeliner" "$tmp/err")"

finish
