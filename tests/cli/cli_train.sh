#!/usr/bin/env bash
# `kohl train`, `kohl runs`, `kohl eval` on a small synthetic dataset: a run's metrics,
# checkpoints and config in the project; the same seed giving the same metrics; resume
# after SIGINT and after kill -9; a truncated checkpoint refused; evaluation with the
# predictions CSV. Small on purpose (64 px, 2-3 epochs): this is a test, not a benchmark.
# Usage: cli_train.sh KOHL_BINARY
set -euo pipefail
kohl=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
pyjson() { python3 -c "import json,sys; d=json.load(open('$1')); $2"; }
p="$tmp/p.kohl"
new_synth_project "$p" train "$tmp/synth" 0.6,0.2,0.2 "faces" --count 48 --seed 3 --size 64
train=(--snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set undertone --size 64 --batch 8 --seed 5)

"$kohl" train "$p" "${train[@]}" --epochs 2 --json >"$tmp/t1.json" 2>"$tmp/err"
check "train: run-1 done after 2 epochs" pyjson "$tmp/t1.json" "
assert d['run'] == 'run-1' and d['status'] == 'done' and d['epochs_done'] == 2, d
assert d['checkpoint'].endswith('run-1/epoch-2.pt'), d"
"$kohl" runs ls "$p" --json >"$tmp/ls.json"
check "runs ls" pyjson "$tmp/ls.json" "assert [r['name'] for r in d] == ['run-1'] and d[0]['epochs'] == 2, d"
"$kohl" runs show "$p" run-1 --json >"$tmp/show.json"
check "runs show: config, environment, metrics per epoch, checkpoints" pyjson "$tmp/show.json" "
c = d['config']; assert c['seed'] == 5 and c['backbone'] == 'org.kohl.backbone.small_cnn' and c['label_set'] == 'undertone', c
assert c['classes'] == ['cool', 'neutral', 'warm'] and c['backbone_version'], c
e = d['environment']; assert e['libtorch'] and e['kohl'] and e['machine'], e
assert [x[0] for x in d['metrics']['train']['loss']] == [1, 2], d['metrics']
assert 'val' in d['metrics'] and len(d['checkpoints']) == 2, d
assert d['snapshot'] == 'v1'"
"$kohl" runs show "$p" run-1 >"$tmp/show.txt"
check "runs show text has the epoch table" grep -q "train_loss" "$tmp/show.txt"

# Same seed, same snapshot: the same metrics, to the last digit.
"$kohl" train "$p" "${train[@]}" --epochs 2 --json >"$tmp/t2.json" 2>/dev/null
check "reproducible: run-2 has run-1's metrics" python3 -c "
import json, subprocess
m = [json.loads(subprocess.check_output(['$kohl', 'runs', 'show', '$p', r, '--json']))['metrics'] for r in ('run-1', 'run-2')]
for split in ('train', 'val'):
    for k in ('loss', 'accuracy'):
        assert m[0][split][k] == m[1][split][k], (split, k, m[0][split][k], m[1][split][k])"

# Resume a finished run to more epochs.
"$kohl" train "$p" --resume run-1 --epochs 3 --json >"$tmp/t3.json" 2>/dev/null
check "resume continues from the last checkpoint" pyjson "$tmp/t3.json" "assert d['run'] == 'run-1' and d['epochs_done'] == 3, d"
set +e
"$kohl" train "$p" --resume run-1 >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "resume of a finished run without more epochs is refused" test $rc -eq 1
check "... saying what to do" grep -q "epochs above 3" "$tmp/err"

# kill -9 in the middle of a run, then resume: the run goes on from its last checkpoint.
kill9_after_checkpoint "$p.runs/run-3" "$kohl" train "$p" "${train[@]}" --epochs 40
"$kohl" runs show "$p" run-3 --json >"$tmp/k.json"
check "killed run: still marked running, its checkpoints intact" pyjson "$tmp/k.json" "
assert d['status'] == 'running' and len(d['checkpoints']) >= 1, (d['status'], d['checkpoints'])"
done_before=$(python3 -c "import json; print(json.load(open('$tmp/k.json'))['checkpoints'][-1]['epoch'])")
"$kohl" train "$p" --resume run-3 --epochs $((done_before + 1)) --json >"$tmp/r3.json" 2>/dev/null
check "resume after kill -9" pyjson "$tmp/r3.json" "assert d['status'] == 'done' and d['epochs_done'] == $((done_before + 1)), d"

# Ctrl-C stops at a batch boundary, marks the run stopped, exit 130.
"$kohl" train "$p" "${train[@]}" --epochs 40 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [[ -f "$p.runs/run-4/epoch-1.pt" ]] && break
  sleep 0.1
done
kill -INT $pid
set +e
wait $pid; rc=$?
set -e
check "Ctrl-C: exit 130" test $rc -eq 130
"$kohl" runs show "$p" run-4 --json >"$tmp/s4.json"
check "Ctrl-C: run stopped, resumable" pyjson "$tmp/s4.json" "assert d['status'] == 'stopped' and 'resume' in d['message'], d"

# Evaluation through the evaluator plugin, with the predictions CSV.
"$kohl" eval "$p" run-1 --split test --predictions-out "$tmp/pred.csv" --json >"$tmp/e.json" 2>/dev/null
check "eval: metrics JSON" pyjson "$tmp/e.json" "
assert d['run'] == 'run-1' and d['split'] == 'test' and d['checkpoint_epoch'] == 3, d
m = d['metrics']; assert 0 <= m['accuracy']['value'] <= 1, m"
check "eval: predictions CSV header" test "$(head -1 "$tmp/pred.csv")" = "sample,true,pred,p_cool,p_neutral,p_warm"
"$kohl" runs show "$p" run-1 --json >"$tmp/show2.json"
check "eval stored in the run" pyjson "$tmp/show2.json" "assert len(d['evaluations']) == 1 and d['evaluations'][0]['split'] == 'test', d['evaluations']"

# A truncated checkpoint is refused with a clear error.
ck="$p.runs/run-1/epoch-3.pt"
truncate -s 1000 "$ck"
set +e
"$kohl" eval "$p" run-1 >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "truncated checkpoint: exit 1" test $rc -eq 1
check "truncated checkpoint: the message names the file and says why" grep -q "epoch-3.pt.*truncated or changed" "$tmp/err"

# Recommendation: from the bare face of each synthetic pair, the foundation its made-up twin
# wears (the makeup plugin draws foundation near the face's own skin tone, so it is learnable).
q="$tmp/q.kohl"
new_synth_project "$q" recommend "$tmp/pairs" 0.6,0.2,0.2 "" --count 40 --seed 4 --size 64 --pairs
"$kohl" train "$q" --snapshot v1 --backbone org.kohl.backbone.small_cnn --task recommend --regions foundation \
  --epochs 2 --size 64 --batch 8 --seed 2 --json >"$tmp/rec.json" 2>/dev/null
check "recommend: trained, validation CIEDE2000 logged" pyjson "$tmp/rec.json" "
assert d['status'] == 'done' and d['metrics']['val']['mean_de'] > 0, d"
"$kohl" eval "$q" run-1 --split test --predictions-out "$tmp/rec.csv" --json >"$tmp/rec-eval.json" 2>/dev/null
check "recommend eval: CIEDE2000 per region with intervals" pyjson "$tmp/rec-eval.json" "
assert d['task'] == 'recommend' and d['regions'] == ['foundation'], d
m = d['metrics']['mean_de']; assert m['value'] > 0 and m['ci95'][0] <= m['value'] <= m['ci95'][1], m
assert 'foundation' in d['per_region'], d['per_region']"
check "recommend predictions CSV" test "$(head -1 "$tmp/rec.csv")" = \
  "sample,foundation_true_L,foundation_true_a,foundation_true_b,foundation_pred_L,foundation_pred_a,foundation_pred_b"

# The CLI itself does not link LibTorch: it loads libkohl_train.so only to train.
check "kohl does not link LibTorch" bash -c "! ldd '$kohl' | grep -q libtorch"

# Misuse
set +e
"$kohl" train "$p" --backbone x >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "train without a snapshot: exit 2" test $rc -eq 2
set +e
"$kohl" train "$p" --snapshot v1 --backbone org.nope --label-set undertone >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "unknown backbone: exit 1, named" test $rc -eq 1 -a -n "$(grep "org.nope" "$tmp/err")"

finish
