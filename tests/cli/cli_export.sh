#!/usr/bin/env bash
# `kohl export` and `kohl bundle verify` on tiny trained runs (32 px, 1 epoch): TorchScript
# and ONNX files that Python's torch.jit.load and OpenCV's DNN module run with the same
# outputs; a classify bundle (labels.json, a model card with the evaluation's per-band
# metrics and the licences) and a recommend bundle (palette.json) that pass their manifest
# check; a changed, truncated, missing or extra file refused with its name; misuse.
# Usage: cli_export.sh KOHL_BINARY
set -euo pipefail
kohl=$1
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
py=/usr/bin/python3  # Debian's python3-torch, python3-onnx, python3-opencv
pyjson() { $py -c "import json,sys; d=json.load(open('$1')); $2"; }

# A classify run with an evaluation, and a recommend run.
p="$tmp/p.kohl"
new_synth_project "$p" exp "$tmp/synth" 0.6,0.2,0.2 "faces" --count 24 --seed 3 --size 64
"$kohl" train "$p" --snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set undertone --size 32 --batch 8 \
  --epochs 1 --seed 5 --set base_width=8 --set hidden_units=16 >/dev/null 2>&1
"$kohl" eval "$p" run-1 --split test >/dev/null 2>&1
q="$tmp/q.kohl"
new_synth_project "$q" rec "$tmp/pairs" 0.6,0.2,0.2 "" --count 12 --seed 4 --size 64 --pairs
"$kohl" train "$q" --snapshot v1 --backbone org.kohl.backbone.resnet18 --task recommend --regions lip,foundation \
  --size 32 --batch 4 --epochs 1 --seed 2 --set width=0.25 --set small_input=true >/dev/null 2>&1

# Single files.
"$kohl" export "$p" run-1 --format torchscript --out "$tmp/m.pt" --json >"$tmp/ts.json" 2>"$tmp/err"
check "torchscript: written and reloaded by LibTorch with the same outputs" pyjson "$tmp/ts.json" "
assert d['run'] == 'run-1' and d['epoch'] == 1 and d['format'] == 'torchscript', d
assert d['checks']['torchscript_max_abs_diff'] <= 1e-5, d['checks']"
"$kohl" export "$p" run-1 --format onnx --out "$tmp/m.onnx" --json >"$tmp/onnx.json" 2>"$tmp/err"
check "onnx: written" pyjson "$tmp/onnx.json" "assert d['format'] == 'onnx' and d['files'][0]['bytes'] > 1000, d"
check "outside runtimes: torch.jit.load and OpenCV DNN agree; onnx.checker passes; metadata inside" $py -c "
import json, numpy as np, torch, onnx, cv2
extra = {'kohl.json': ''}
m = torch.jit.load('$tmp/m.pt', _extra_files=extra)
meta = json.loads(extra['kohl.json'])
assert meta['run'] == 'run-1' and meta['classes'] == ['cool', 'neutral', 'warm'], meta
assert meta['preprocessing']['size'] == 32, meta['preprocessing']
model = onnx.load('$tmp/m.onnx'); onnx.checker.check_model(model, full_check=True)
assert json.loads({p.key: p.value for p in model.metadata_props}['kohl'])['run'] == 'run-1'
x = np.random.RandomState(0).randn(3, 3, 32, 32).astype(np.float32)
with torch.no_grad(): a = m(torch.from_numpy(x)).numpy()
net = cv2.dnn.readNetFromONNX('$tmp/m.onnx'); net.setInput(x); b = net.forward()
assert a.shape == (3, 3) and np.abs(a - b).max() <= 1e-4, np.abs(a - b).max()"

# A classify bundle.
"$kohl" export "$p" run-1 --format bundle --out "$tmp/b" --json >"$tmp/b.json" 2>"$tmp/err"
check "bundle: written and verified" pyjson "$tmp/b.json" "
assert d['checks']['manifest_verified'] is True and d['checks']['torchscript_max_abs_diff'] <= 1e-5, d
assert sorted(d['files']) == ['labels.json', 'model.onnx', 'model.pt', 'model_card.json', 'model_card.md', 'preprocessing.json'], d['files']"
check "bundle: no partial folder left" bash -c "! ls -d '$tmp'/b.partial-* 2>/dev/null"
check "bundle: manifest fields" pyjson "$tmp/b/manifest.json" "
assert d['format'] == 'kohl-deploy-bundle' and d['format_version'] == 1 and d['hash'] == 'xxh3-128', d
assert d['run'] == 'run-1' and d['epoch'] == 1 and d['kohl_version'] and d['models']['onnx'] == 'model.onnx', d
import os
for name, f in d['files'].items():
    assert os.path.getsize('$tmp/b/' + name) == f['bytes'] and len(f['xxh3_128']) == 32, (name, f)"
check "bundle: labels and preprocessing as the run recorded them" $py -c "
import json, subprocess
run = json.loads(subprocess.check_output(['$kohl', 'runs', 'show', '$p', 'run-1', '--json']))
labels = json.load(open('$tmp/b/labels.json')); pre = json.load(open('$tmp/b/preprocessing.json'))
assert labels['classes'] == run['config']['classes'] and labels['label_set'] == 'undertone', labels
rec = run['config']['preprocessing']
assert pre['size'] == 32 and pre['mean'] == rec['mean'] and pre['std'] == rec['std'] and pre['channels'] == 'RGB', pre
assert pre['face_alignment'] is False and pre['input']['name'] == 'input', pre"
check "bundle: model card with the evaluation, per-band metrics and licences" $py -c "
import json
c = json.load(open('$tmp/b/model_card.json'))
assert c['task'] == 'classify' and c['run']['name'] == 'run-1' and c['data']['snapshot']['name'] == 'v1', c['run']
e = c['evaluation']; assert e['split'] == 'test' and 'by_band' in e['metrics'] and e['metrics']['by_band'], e
assert 'iBUG 300-W' in c['licences']['landmark_model']['text'], c['licences']
assert c['licences']['data'] and all(s['license'] for s in c['licences']['data']), c['licences']['data']
md = open('$tmp/b/model_card.md').read()
assert 'Per skin-tone band' in md and 'iBUG 300-W' in md and 'run-1' in md, md"
check "bundle: a server's path works (image -> preprocessing.json -> model.pt and model.onnx agree)" $py -c "
import json, glob, numpy as np, torch, cv2
pre = json.load(open('$tmp/b/preprocessing.json')); labels = json.load(open('$tmp/b/labels.json'))['classes']
img = cv2.imread(sorted(glob.glob('$tmp/synth/**/*.png', recursive=True))[0])
s = pre['size']; x = cv2.resize(img, (s, s), interpolation=cv2.INTER_AREA)[:, :, ::-1] / 255.0
x = ((x - pre['mean']) / pre['std']).transpose(2, 0, 1)[None].astype(np.float32)
with torch.no_grad(): a = torch.jit.load('$tmp/b/model.pt')(torch.from_numpy(x)).numpy()
net = cv2.dnn.readNetFromONNX('$tmp/b/model.onnx'); net.setInput(x); b = net.forward()
assert a.shape == (1, len(labels)) and np.abs(a - b).max() <= 1e-4 and a.argmax() == b.argmax(), (a, b)"
"$kohl" bundle verify "$tmp/b" >"$tmp/v.txt"
check "bundle verify: intact" grep -q "intact" "$tmp/v.txt"

# Tampering: each refused with the file's name.
tamper() {  # NAME COMMAND...: copy the bundle, change it with COMMAND (run in the copy), verify
  local name=$1; shift
  rm -rf "$tmp/t"; cp -r "$tmp/b" "$tmp/t"
  (cd "$tmp/t" && "$@")
  set +e
  "$kohl" bundle verify "$tmp/t" >/dev/null 2>"$tmp/terr"; rc=$?
  set -e
}
tamper flip $py -c "
f = open('model.onnx', 'r+b'); f.seek(2000); b = f.read(1); f.seek(2000); f.write(bytes([b[0] ^ 1])); f.close()"
check "changed byte (same size): refused" test $rc -eq 1
check "... naming the file and the hash" grep -q "model.onnx was changed after export (its hash differs" "$tmp/terr"
tamper truncate truncate -s -1 model.pt
check "truncated model.pt: refused, named" grep -q "model.pt was changed or truncated" "$tmp/terr"
tamper missing rm labels.json
check "missing labels.json: refused, named" grep -q "labels.json is missing" "$tmp/terr"
tamper extra touch extra.bin
check "unlisted file: refused, named" grep -q "extra.bin is not listed in the manifest" "$tmp/terr"
tamper preprocess sed -i 's/0.485/0.5/' preprocessing.json
check "edited preprocessing.json: refused" bash -c "[[ $rc -eq 1 ]] && grep -q preprocessing.json '$tmp/terr'"

# A recommend bundle: palette.json instead of labels.json.
"$kohl" export "$q" run-1 --format bundle --out "$tmp/rb" --json >"$tmp/rb.json" 2>"$tmp/err"
check "recommend bundle: palette.json, CIELAB outputs" $py -c "
import json, numpy as np, torch, cv2
d = json.load(open('$tmp/rb.json')); assert 'palette.json' in d['files'] and 'labels.json' not in d['files'], d['files']
p = json.load(open('$tmp/rb/palette.json')); assert p['regions'] == ['lip', 'foundation'] and p['scale'] == 100, p
assert [o['channel'] for o in p['outputs']] == ['L', 'a', 'b'] * 2, p['outputs']
c = json.load(open('$tmp/rb/model_card.json')); assert c['task'] == 'recommend' and c['evaluation'] is None, c['task']
x = np.random.RandomState(1).randn(2, 3, 32, 32).astype(np.float32)
with torch.no_grad(): a = torch.jit.load('$tmp/rb/model.pt')(torch.from_numpy(x)).numpy()
net = cv2.dnn.readNetFromONNX('$tmp/rb/model.onnx'); net.setInput(x); b = net.forward()
assert a.shape == (2, 6) and np.abs(a - b).max() <= 1e-4, np.abs(a - b).max()"
check "recommend bundle verifies" "$kohl" bundle verify "$tmp/rb"

# Misuse and refusals.
set +e
"$kohl" export "$p" run-1 --format bundle --out "$tmp/b" >/dev/null 2>"$tmp/err"; rc=$?
check "bundle into a non-empty folder: refused" bash -c "[[ $rc -eq 1 ]] && grep -q 'not an empty folder' '$tmp/err'"
"$kohl" export "$p" run-9 --format onnx --out "$tmp/x.onnx" >/dev/null 2>"$tmp/err"; rc=$?
check "unknown run: exit 1, named" bash -c "[[ $rc -eq 1 ]] && grep -q \"no run 'run-9'\" '$tmp/err'"
"$kohl" export "$p" run-1 --format onnx --epoch 7 --out "$tmp/x.onnx" >/dev/null 2>"$tmp/err"; rc=$?
check "unknown epoch: exit 1" bash -c "[[ $rc -eq 1 ]] && grep -q 'no checkpoint of epoch 7' '$tmp/err'"
"$kohl" export "$p" run-1 --format keras --out "$tmp/x" >/dev/null 2>"$tmp/err"; rc=$?
check "unknown format: exit 2" test $rc -eq 2
"$kohl" bundle verify "$tmp" >/dev/null 2>"$tmp/err"; rc=$?
check "a folder that is no bundle: exit 1" bash -c "[[ $rc -eq 1 ]] && grep -q 'not a Kohl bundle' '$tmp/err'"
truncate -s -10 "$p.runs/run-1/epoch-1.pt"
"$kohl" export "$p" run-1 --format onnx --out "$tmp/y.onnx" >/dev/null 2>"$tmp/err"; rc=$?
set -e
check "changed checkpoint: export refused" bash -c "[[ $rc -eq 1 ]] && grep -q 'epoch-1.pt.*truncated or changed' '$tmp/err'"
check "... and nothing written" test ! -e "$tmp/y.onnx"

finish
