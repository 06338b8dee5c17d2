#!/usr/bin/env bash
# `kohl serve` over loopback with real HTTP requests (curl): bundles exported from tiny
# trained runs (32 px, 1 epoch); /healthz, /v1/model, /metrics; /v1/predict's
# probabilities against Python's torch.jit.load on the same preprocessing; /v1/recommend on
# a real face (skimage's astronaut) with its try-on preview; and every error status: 400
# (not an image), 401 (token), 404 (wrong route or task), 413 (body limit, pixel cap), 415
# (form-encoded body), 422 (no face), 503 (queue full, or waited --timeout); the server
# keeps serving after each; SIGTERM lets a request in flight finish, then the server exits
# 0; a tampered bundle is refused at start.
# Usage: cli_serve.sh KOHL_BINARY OUTPUT_DIR (the try-on preview is saved there, to look at)
set -euo pipefail
kohl=$1
outdir=$2
mkdir -p "$outdir"
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
py=/usr/bin/python3  # Debian's python3-torch, python3-opencv, python3-skimage
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# Bundles: a classify run (undertone) and a recommend run (lip, foundation).
p="$tmp/p.kohl"
new_synth_project "$p" srv "$tmp/synth" 0.6,0.2,0.2 "faces" --count 24 --seed 3 --size 64
"$kohl" train "$p" --snapshot v1 --backbone org.kohl.backbone.small_cnn --label-set undertone --size 32 --batch 8 \
  --epochs 1 --seed 5 --set base_width=8 --set hidden_units=16 >/dev/null 2>&1
"$kohl" export "$p" run-1 --format bundle --out "$tmp/cls" >/dev/null 2>&1
"$kohl" data synth "$tmp/pairs" --count 8 --seed 4 --size 64 --pairs >/dev/null 2>&1
"$kohl" data import "$p" "$tmp/pairs" --format kohl --dataset pairs >/dev/null 2>&1
"$kohl" data split "$p" --ratios 0.6,0.2,0.2 --by-subject --seed 1 >/dev/null
"$kohl" data snapshot "$p" v2 >/dev/null
"$kohl" train "$p" --snapshot v2 --backbone org.kohl.backbone.small_cnn --task recommend --regions lip,foundation \
  --size 32 --batch 4 --epochs 1 --seed 2 --set base_width=8 --set hidden_units=16 >/dev/null 2>&1
"$kohl" export "$p" run-2 --format bundle --out "$tmp/rec" >/dev/null 2>&1

# Images: a real face (JPEG), a picture without a face, a large one, and text.
$py -c "
import cv2, skimage.data, numpy as np
face = cv2.cvtColor(skimage.data.astronaut(), cv2.COLOR_RGB2BGR)
cv2.imwrite('$tmp/face.jpg', face, [cv2.IMWRITE_JPEG_QUALITY, 90])
y, x = np.mgrid[0:200, 0:300]
cv2.imwrite('$tmp/noface.png', np.dstack([x % 256, y % 256, (x + y) % 256]).astype(np.uint8))
cv2.imwrite('$tmp/large.png', np.zeros((1100, 1000, 3), np.uint8))"
echo "not an image" >"$tmp/text.txt"
head -c $((2 * 1024 * 1024)) /dev/urandom >"$tmp/2mib.bin"
echo "s3cret-token" >"$tmp/token"
bin=(-H "Content-Type: application/octet-stream" --data-binary)

# start NAME ARGS...: starts `kohl serve` on a free port; sets $port and $pid.
start() {
  local name=$1; shift
  "$kohl" serve "$@" --port 0 >"$tmp/$name.out" 2>"$tmp/$name.err" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 1 100); do
    grep -q "listening on" "$tmp/$name.out" 2>/dev/null && break
    sleep 0.1
  done
  port=$(sed -n 's/.*listening on http:\/\/127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/$name.out")
  [[ -n $port ]] || { cat "$tmp/$name.err" >&2; return 1; }
}
# model_running: waits (up to 10 s) until /metrics at $url shows a model run in progress,
# i.e. the request sent in the background holds the model (a fixed sleep is not enough on a
# loaded machine).
model_running() {
  for _ in $(seq 1 200); do
    curl -s "$url/metrics" | grep -qx "kohl_model_running 1" && return 0
    sleep 0.05
  done
  echo "no model run in progress after 10 s" >&2
  return 1
}
# req OUT ARGS...: curl with ARGS; writes the body to OUT, prints the status code.
req() { local out=$1; shift; curl -s -o "$out" -w '%{http_code}' "$@"; }
# status_is CODE ARGS...: the request's status is CODE and its body is a JSON error with a message.
status_is() {
  local want=$1; shift
  local got
  got=$(req "$tmp/body" "$@")
  [[ $got == "$want" ]] || { echo "status $got, expected $want: $(head -c 300 "$tmp/body")" >&2; return 1; }
  [[ $want == 200 ]] && return 0
  $py -c "import json; e = json.load(open('$tmp/body'))['error']; assert e['status'] == $want and len(e['message']) > 10, e"
}

# ---- classify bundle, with a token, a 1 MiB body limit and a 1 Mpx pixel cap ----------
start cls "$tmp/cls" --token-file "$tmp/token" --body-limit 1 --pixel-cap 1000000 --threads 2
url="http://127.0.0.1:$port"
auth=(-H "Authorization: Bearer s3cret-token")
check "healthz without a token" status_is 200 "$url/healthz"
check "healthz: the model and its task" $py -c "
import json; h = json.load(open('$tmp/body')); assert h == {'status': 'ok', 'model': 'p/run-1', 'task': 'classify'}, h"
check "401 without a token" status_is 401 "$url/v1/model"
check "401 with a wrong token" status_is 401 -H "Authorization: Bearer nope" "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict"
check "model card with the token" status_is 200 "${auth[@]}" "$url/v1/model"
check "model card: the task and the run" $py -c "
import json; c = json.load(open('$tmp/body')); assert c['task'] == 'classify', c.keys()"
check "predict: 200 (raw body)" status_is 200 "${auth[@]}" -H "Content-Type: image/jpeg" --data-binary @"$tmp/face.jpg" "$url/v1/predict"
cp "$tmp/body" "$tmp/predict.json"
check "predict: probabilities of the classes as Python's torch.jit.load gives them" $py -c "
import json, cv2, numpy as np, torch
r = json.load(open('$tmp/predict.json'))
classes = json.load(open('$tmp/cls/labels.json'))['classes']
pre = json.load(open('$tmp/cls/preprocessing.json'))
img = cv2.imread('$tmp/face.jpg')
x = cv2.resize(img, (pre['size'], pre['size']), interpolation=cv2.INTER_AREA)[:, :, ::-1].astype(np.float32) / 255
x = (x - np.array(pre['mean'], np.float32)) / np.array(pre['std'], np.float32)
t = torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)[None]))
p = torch.softmax(torch.jit.load('$tmp/cls/model.pt')(t), 1)[0].detach().numpy()
got = {c['class']: c['p'] for c in r['classes']}
assert sorted(got) == sorted(classes), (got, classes)
diff = max(abs(got[c] - p[i]) for i, c in enumerate(classes))
assert diff <= 1e-4, diff
assert r['label'] == classes[int(p.argmax())] and abs(sum(got.values()) - 1) < 1e-6, r
print('predict vs python: max |dp| =', diff)"
check "predict: 200 (multipart field 'image')" status_is 200 "${auth[@]}" -F image=@"$tmp/face.jpg" "$url/v1/predict"
check "400: not an image" status_is 400 "${auth[@]}" "${bin[@]}" @"$tmp/text.txt" "$url/v1/predict"
check "415: curl's default form type, with how to send the image" bash -c "
[[ \$(curl -s -o '$tmp/body' -w '%{http_code}' -H 'Authorization: Bearer s3cret-token' --data-binary @'$tmp/face.jpg' '$url/v1/predict') == 415 ]] &&
grep -q 'Content-Type: image/jpeg' '$tmp/body'"
check "400: empty body" status_is 400 "${auth[@]}" "${bin[@]}" "" "$url/v1/predict"
check "400: multipart without 'image'" status_is 400 "${auth[@]}" -F other=@"$tmp/face.jpg" "$url/v1/predict"
check "413: body over --body-limit" status_is 413 "${auth[@]}" "${bin[@]}" @"$tmp/2mib.bin" "$url/v1/predict"
check "413: image over --pixel-cap (from its header)" status_is 413 "${auth[@]}" "${bin[@]}" @"$tmp/large.png" "$url/v1/predict"
check "404: the recommend route on a classify bundle" status_is 404 "${auth[@]}" "${bin[@]}" @"$tmp/face.jpg" "$url/v1/recommend"
check "404: an unknown route" status_is 404 "${auth[@]}" "$url/v2/nothing"
check "still serving after the errors" status_is 200 "${auth[@]}" "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict"
check "metrics: requests by route and status, latency histogram" bash -c "
curl -s -H 'Authorization: Bearer s3cret-token' '$url/metrics' >'$tmp/metrics.txt'
grep -q 'kohl_requests_total{route=\"/v1/predict\",status=\"200\"} 3' '$tmp/metrics.txt' &&
grep -q 'kohl_requests_total{route=\"/v1/predict\",status=\"400\"} 3' '$tmp/metrics.txt' &&
grep -q 'kohl_requests_total{route=\"/v1/predict\",status=\"413\"} 2' '$tmp/metrics.txt' &&
grep -q 'kohl_requests_total{route=\"/v1/model\",status=\"401\"} 1' '$tmp/metrics.txt' &&
grep -q 'kohl_request_errors_total{route=\"/v1/predict\"} 7' '$tmp/metrics.txt' &&
grep -q 'kohl_request_duration_seconds_bucket{route=\"/v1/predict\",le=\"+Inf\"}' '$tmp/metrics.txt' &&
grep -q '^kohl_model_waiting 0' '$tmp/metrics.txt'" 
kill -TERM "$pid"
check "SIGTERM: exits 0" wait "$pid"

# ---- recommend bundle: a face, its skin tone, the palette and a try-on preview --------
start rec "$tmp/rec"
url="http://127.0.0.1:$port"
check "recommend: 200 on a real face" status_is 200 "${bin[@]}" @"$tmp/face.jpg" "$url/v1/recommend"
check "recommend: face, skin tone, palette of the bundle's regions, a PNG preview of the same size" $py -c "
import json, base64, cv2, numpy as np
r = json.load(open('$tmp/body'))
assert len(r['face']['landmarks']) == 68 and r['face']['skin']['monk'] in range(1, 11), r['face'].keys()
assert sorted(r['palette']) == ['foundation', 'lip'], r['palette']
for v in r['palette'].values(): assert len(v['lab']) == 3 and v['hex'].startswith('#'), v
png = np.frombuffer(base64.b64decode(r['preview_png']), np.uint8)
prev = cv2.imdecode(png, cv2.IMREAD_COLOR); face = cv2.imread('$tmp/face.jpg')
assert prev.shape == face.shape, (prev.shape, face.shape)
cv2.imwrite('$outdir/serve_recommend_preview.png', prev)"
check "422: an image without a face" status_is 422 "${bin[@]}" @"$tmp/noface.png" "$url/v1/recommend"
check "404: predict on a recommend bundle" status_is 404 "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict"
check "still serving after the errors" status_is 200 "${bin[@]}" @"$tmp/face.jpg" "$url/v1/recommend"
kill -TERM "$pid"; wait "$pid" || true

# ---- a bounded queue: one model run at a time, nobody may wait -> 503 -----------------
start busy "$tmp/cls" --threads 1 --queue 0 --test-delay-ms 1500
url="http://127.0.0.1:$port"
req "$tmp/slow1" "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict" >"$tmp/slow1.code" &
slow=$!
model_running
check "503: the model is busy and the queue is full" status_is 503 "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict"
check "503: with Retry-After" bash -c "curl -s -D - -o /dev/null -H 'Content-Type: image/jpeg' --data-binary @'$tmp/face.jpg' '$url/v1/predict' | grep -qi '^Retry-After: 1'"
wait "$slow"
check "the request that got the model is answered" grep -qx 200 "$tmp/slow1.code"
# SIGTERM during a request: the request finishes, then the server exits 0.
req "$tmp/slow2" "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict" >"$tmp/slow2.code" &
slow=$!
model_running
kill -TERM "$pid"
wait "$slow" || true
check "SIGTERM: the request in flight is answered" grep -qx 200 "$tmp/slow2.code"
check "SIGTERM: the server exits 0" wait "$pid"
check "SIGTERM: says so" grep -q "SIGTERM, stopping" "$tmp/busy.err"

# ---- a request that waits longer than --timeout for the model -> 503 ---------------------
start slow "$tmp/cls" --threads 1 --queue 4 --timeout 1 --test-delay-ms 2500
url="http://127.0.0.1:$port"
req "$tmp/slow3" "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict" >"$tmp/slow3.code" &
slow=$!
model_running
check "503: waited --timeout for the model" status_is 503 "${bin[@]}" @"$tmp/face.jpg" "$url/v1/predict"
check "503: the message names the timeout" grep -q "timed out after 1 s" "$tmp/body"
wait "$slow" || true
check "the request that had the model is answered" grep -qx 200 "$tmp/slow3.code"
kill -TERM "$pid"; wait "$pid" || true

# ---- refusals at start ------------------------------------------------------------------
cp -r "$tmp/cls" "$tmp/tampered"
printf 'x' >>"$tmp/tampered/labels.json"
check "a tampered bundle is refused, naming the file" bash -c "
! '$kohl' serve '$tmp/tampered' --port 0 2>'$tmp/err' >/dev/null && grep -q 'labels.json' '$tmp/err'"
check "a missing bundle is refused" bash -c "! '$kohl' serve '$tmp/nothing' --port 0 2>/dev/null >/dev/null"
check "an empty token file is refused" bash -c "
: >'$tmp/empty'; ! '$kohl' serve '$tmp/cls' --token-file '$tmp/empty' 2>'$tmp/err' >/dev/null && grep -q 'token' '$tmp/err'"
finish
