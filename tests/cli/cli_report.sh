#!/usr/bin/env bash
# `kohl report` and `kohl compare` end to end: a tiny synthetic project, two tiny runs that
# differ in one backbone parameter (32 px, 2 epochs: a test, not a benchmark), both
# evaluated; the report's files and numbers against `kohl runs show`; the comparison's
# deltas, config diff and paired tests; the refusal of runs evaluated on another snapshot
# and --allow-different-data's banner; a recommendation report; every page opened in
# headless Chromium with no console errors (no failed loads, no CSP refusals), screenshots
# in OUT (build/test-output/report_run.png, report_compare.png, ...).
# Usage: cli_report.sh KOHL_BINARY OUT_DIR
set -euo pipefail
kohl=$1
out=$2
mkdir -p "$out"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
pyjson() { python3 -c "import json,sys; d=json.load(open('$1')); $2"; }
p="$tmp/p.kohl"
new_synth_project "$p" report "$tmp/synth" 0.5,0.2,0.3 "faces" --count 40 --seed 3 --size 64
train=(--snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set undertone --size 32 --batch 8 --epochs 2 --seed 5)
r1=$("$kohl" train "$p" "${train[@]}" --set base_width=8 2>/dev/null)
r2=$("$kohl" train "$p" "${train[@]}" --set base_width=16 2>/dev/null)
check "two runs trained" test "$r1 $r2" = "run-1 run-2"

# No evaluation yet: a clear error.
set +e
"$kohl" report "$p" "$r1" --out "$tmp/none" 2>"$tmp/err"; rc=$?
set -e
check "report without evaluation: exit 1" test $rc -eq 1
check "... telling to run kohl eval first" grep -q "run-1 has no evaluation yet: run \`kohl eval" "$tmp/err"

"$kohl" eval "$p" "$r1" --split test --json >"$tmp/e1.json" 2>/dev/null
"$kohl" eval "$p" "$r2" --split test --json >"$tmp/e2.json" 2>/dev/null

# ---- kohl report ----------------------------------------------------------------------------
"$kohl" report "$p" "$r1" --out "$tmp/rep1" >"$tmp/rep1.out"
check "report writes index.html, metrics.json, metrics.csv" test -s "$tmp/rep1/index.html" -a -s "$tmp/rep1/metrics.json" -a -s "$tmp/rep1/metrics.csv"
"$kohl" runs show "$p" "$r1" --json >"$tmp/show1.json"
check "metrics.json holds the project's evaluation, run and curves" python3 -c "
import json
m = json.load(open('$tmp/rep1/metrics.json')); s = json.load(open('$tmp/show1.json')); e = json.load(open('$tmp/e1.json'))
assert m['metrics'] == s['evaluations'][-1]['metrics'], 'metrics differ from the project'
assert m['evaluation']['id'] == e['evaluation'] and m['evaluation']['split'] == 'test', m['evaluation']
assert m['evaluation']['predictions'] == e['n'], (m['evaluation'], e['n'])
assert m['run']['config']['backbone_params'] == {'base_width': 8}, m['run']['config']
assert m['run']['config']['seed'] == 5 and m['run']['environment']['libtorch']
assert m['learning_curves'] == s['metrics']
assert m['run']['duration_s'] is not None and m['run']['duration_s'] >= 0"
check "the page shows the project's numbers" python3 -c "
import json, re
e = json.load(open('$tmp/e1.json')); html = open('$tmp/rep1/index.html').read()
for k in ('accuracy', 'f1_macro', 'balanced_accuracy'):
    v = e['metrics'][k]['value']; lo, hi = e['metrics'][k]['ci95']
    assert '%.3f' % v in html, (k, v)
    assert ('%.3f' % lo) in html and ('%.3f' % hi) in html, (k, lo, hi)
assert 'Per skin-tone band' in html and 'Confusion matrix' in html and 'ROC' in html and 'Calibration' in html
assert 'Worst errors' in html and 'Learning curves' in html and 'What was run' in html
assert 'base_width=8' in html and 'org.kohl.backbone.small_cnn' in html
assert '<script' not in html and 'https://' not in html"
check "metrics.csv rows match the evaluation" python3 -c "
import csv, json
e = json.load(open('$tmp/e1.json'))
rows = list(csv.DictReader(open('$tmp/rep1/metrics.csv')))
acc = [r for r in rows if r['scope'] == 'overall' and r['metric'] == 'accuracy'][0]
assert abs(float(acc['value']) - e['metrics']['accuracy']['value']) < 1e-12, acc
for band, b in e['by_band'].items():
    r = [r for r in rows if r['scope'] == 'band' and r['band'] == band and r['metric'] == 'accuracy'][0]
    assert abs(float(r['value']) - b['metrics']['accuracy']['value']) < 1e-12, (band, r)"
"$kohl" eval "$p" "$r1" --split test --predictions-out "$tmp/pred1.csv" >/dev/null 2>&1
"$kohl" report "$p" "$r1" --out "$tmp/rep1b" --evaluation 1 --json >"$tmp/rep1b.json"
check "--evaluation picks an older one; worst errors are the misclassified samples" python3 -c "
import csv, json
m = json.load(open('$tmp/rep1b.json'))
assert m['evaluation']['id'] == 1, m['evaluation']
wrong = [r for r in csv.DictReader(open('$tmp/pred1.csv')) if r['true'] != r['pred']]
shown = m['worst_errors']
assert len(shown) == min(12, len(wrong)), (len(shown), len(wrong))
ids = {int(r['sample']) for r in wrong}
assert all(w['image'] in ids for w in shown), shown
assert all(shown[i]['p_true'] <= shown[i + 1]['p_true'] for i in range(len(shown) - 1))"
check "worst errors embed their images" grep -q 'src="data:image/jpeg;base64,' "$tmp/rep1/index.html"

# ---- kohl compare ---------------------------------------------------------------------------
"$kohl" compare "$p" "$r1" "$r2" --out "$tmp/cmp" >/dev/null
check "compare writes index.html and compare.json" test -s "$tmp/cmp/index.html" -a -s "$tmp/cmp/compare.json"
check "compare.json: deltas, paired tests, McNemar, config diff" python3 -c "
import json
c = json.load(open('$tmp/cmp/compare.json'))
e1 = json.load(open('$tmp/e1.json')); e2 = json.load(open('$tmp/e2.json'))
assert c['different_data'] is False and c['reference'] == '$r1'
diff = {d['key']: d['values'] for d in c['config_diff']}
assert diff == {'backbone_params.base_width': ['8', '16']}, diff
acc = [m for m in c['metrics'] if m['metric'] == 'accuracy'][0]
a1, a2 = e1['metrics']['accuracy']['value'], e2['metrics']['accuracy']['value']
assert acc['values'][0]['value'] == a1 and acc['values'][1]['value'] == a2
d = acc['deltas'][0]
assert abs(d['delta'] - (a2 - a1)) < 1e-12 and abs(d['paired_delta'] - (a2 - a1)) < 1e-12, d
assert d['n_paired'] == e1['n'] and d['resamples'] == 2000 and d['ci95'][0] <= d['paired_delta'] <= d['ci95'][1], d
assert 0 <= d['p'] <= 1
assert acc['best'] == (['$r1'] if a1 > a2 else ['$r2'] if a2 > a1 else ['$r1', '$r2']), acc['best']
mc = c['mcnemar'][0]
assert mc['n'] == e1['n'] and mc['method'] in ('exact binomial', 'chi-square with continuity correction', 'no discordant pairs')
# McNemar's discordant counts agree with the accuracies: (c - b) / n = a2 - a1
assert abs((mc['only_run_right'] - mc['only_reference_right']) / mc['n'] - (a2 - a1)) < 1e-12, mc
assert set(c['learning_curves']) == {'$r1', '$r2'}"
check "the compare page: no banner, the config change, the delta" python3 -c "
import json
html = open('$tmp/cmp/index.html').read(); c = json.load(open('$tmp/cmp/compare.json'))
assert 'class=\"banner\"' not in html
assert 'backbone_params.base_width' in html and 'McNemar' in html and '\u2605' in html
acc = [m for m in c['metrics'] if m['metric'] == 'accuracy'][0]
d = acc['deltas'][0]['delta']
s = '%+.3f' % d if abs(d) >= 0.0005 else '%.3f' % abs(d)
assert s in html, s"

# Another snapshot: refused, then allowed with a banner.
"$kohl" data snapshot "$p" v2 >/dev/null
"$kohl" eval "$p" "$r2" --snapshot v2 --split test >/dev/null 2>&1
set +e
"$kohl" compare "$p" "$r1" "$r2" --out "$tmp/cmp2" 2>"$tmp/err"; rc=$?
set -e
check "different snapshots: refused (exit 1)" test $rc -eq 1
check "... saying which snapshots and how to override" grep -q "snapshot 'v2'.*--allow-different-data" "$tmp/err"
check "... and writing nothing" test ! -e "$tmp/cmp2/index.html"
"$kohl" compare "$p" "$r1" "$r2" --out "$tmp/cmp2" --allow-different-data --json >"$tmp/cmp2.json"
check "--allow-different-data: compare.json and the page say so at the top" python3 -c "
import json
c = json.load(open('$tmp/cmp2.json')); html = open('$tmp/cmp2/index.html').read()
assert c['different_data'] is True and any('v2' in x for x in c['data_differences']), c['data_differences']
assert html.index('class=\"banner\"') < html.index('<h1>')"

# ---- recommendation ---------------------------------------------------------------------------
q="$tmp/q.kohl"
new_synth_project "$q" rec "$tmp/pairs" 0.5,0.2,0.3 "" --count 24 --seed 4 --size 64 --pairs
"$kohl" train "$q" --snapshot v1 --backbone org.kohl.backbone.small_cnn --task recommend --regions foundation,lip \
  --epochs 2 --size 32 --batch 8 --seed 2 >/dev/null 2>&1
"$kohl" eval "$q" run-1 --split test --json >"$tmp/qe.json" 2>/dev/null
"$kohl" report "$q" run-1 --out "$tmp/rec" >/dev/null
check "recommendation report: CIEDE2000 per region, swatches, worst errors" python3 -c "
import json
e = json.load(open('$tmp/qe.json')); m = json.load(open('$tmp/rec/metrics.json')); html = open('$tmp/rec/index.html').read()
assert m['metrics'] == {k: v for k, v in e.items() if k not in ('run', 'snapshot', 'split', 'evaluation', 'checkpoint_epoch')}
assert 'CIEDE2000 per region' in html and 'Predicted against reference colours' in html
assert '%.2f' % e['metrics']['mean_de']['value'] in html
w = m['worst_errors']; assert w and set(w[0]['de']) == {'foundation', 'lip'}, w[:1]
assert all(w[i]['mean_de'] >= w[i + 1]['mean_de'] for i in range(len(w) - 1))"

# ---- the pages in headless Chromium -----------------------------------------------------------
chrome=(chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
        --hide-scrollbars --enable-logging=stderr --v=0)
# Console errors (script errors, failed loads, CSP refusals) are logged as CONSOLE lines or
# net errors; the D-Bus complaints of a machine without a session bus are not about the page.
page_ok() {
  local html=$1 png=$2 height=$3
  timeout 60 "${chrome[@]}" --dump-dom "file://$html" >"$tmp/dom.html" 2>"$tmp/chrome.err" || return 1
  grep -q "</main>" "$tmp/dom.html" || { echo "no page in the DOM of $html" >&2; return 1; }
  if grep -E "CONSOLE|ERR_|Refused to|Uncaught|Failed to load" "$tmp/chrome.err" >&2; then return 1; fi
  timeout 60 "${chrome[@]}" --window-size=1280,"$height" --screenshot="$png" "file://$html" >/dev/null 2>"$tmp/chrome.err" || return 1
  if grep -E "CONSOLE|ERR_|Refused to|Uncaught|Failed to load" "$tmp/chrome.err" >&2; then return 1; fi
  test -s "$png"
}
check "run report opens in Chromium without console errors" page_ok "$tmp/rep1/index.html" "$out/report_run.png" 5200
check "compare page opens in Chromium without console errors" page_ok "$tmp/cmp/index.html" "$out/report_compare.png" 3200
check "different-data compare page opens in Chromium" page_ok "$tmp/cmp2/index.html" "$out/report_compare_different_data.png" 1000
check "recommendation report opens in Chromium" page_ok "$tmp/rec/index.html" "$out/report_recommend.png" 4200
finish
