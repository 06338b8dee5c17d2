#!/usr/bin/env bash
# make bench -> bench/serve/run.sh BUILD_DIR. `kohl serve` over loopback against the bare
# model, in the same run, at concurrency 1, 4 and 16:
#   served: wrk (Debian) POSTs a 128 px JPEG face to /v1/predict with C connections for
#           D seconds; requests/s and the p50 / p99 latency wrk reports (--latency);
#           the server runs with --threads C (C model runs at once);
#   bare:   kohl_bench_infer --mode throughput --concurrency C: C threads calling the model
#           (InferenceModel::run on the prepared image, same LibTorch thread count as the
#           server gives each run), runs/s.
# overhead = 1 - served/bare: HTTP, JPEG decoding, preprocessing, JSON, and wrk itself, which
# shares this machine's cores with the server. Goal: at most 15% at concurrency 4.
# Uses bench/infer's bundle (ResNet-18-style, 128 px). KOHL_BENCH_SERVE_SECONDS (default 5).
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
work=$build/bench-work/infer
seconds=${KOHL_BENCH_SERVE_SECONDS:-5}
command -v wrk >/dev/null || { echo "bench/serve: needs wrk (scripts/setup.sh installs it)" >&2; exit 1; }
bash "$here/../infer/make_bundle.sh" "$build/bin/kohl" "$work"
cores=$(nproc)
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "image/jpeg"
local f = io.open("$work/face.jpg", "rb")
wrk.body = f:read("*a")
f:close()
LUA
results=()
for c in 1 4 16; do
  torch_threads=$((cores / c)); ((torch_threads >= 1)) || torch_threads=1
  bare=$("$build/bin/kohl_bench_infer" --bundle "$work/bundle" --image "$work/face.jpg" --mode throughput \
    --concurrency "$c" --threads "$torch_threads" --seconds "$seconds")
  "$build/bin/kohl" serve "$work/bundle" --port 0 --threads "$c" --queue 64 >"$work/serve.out" 2>"$work/serve.err" &
  pid=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/listening on //p' "$work/serve.out")
  # Warm-up, then the measurement.
  wrk -t 1 -c "$c" -d 1s -s "$work/post.lua" "$url/v1/predict" >/dev/null
  wrk -t $((c < 2 ? 1 : 2)) -c "$c" -d "${seconds}s" --latency -s "$work/post.lua" "$url/v1/predict" >"$work/wrk-$c.txt"
  kill -TERM "$pid"; wait "$pid" || true
  served=$(/usr/bin/python3 - "$work/wrk-$c.txt" <<'PY'
import json, re, sys
t = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)\s*$", t, re.M)
    v, u = float(m.group(1)), m.group(2)
    return v / 1000 if u == "us" else v * 1000 if u == "s" else v
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(json.dumps({"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)), "p50_ms": ms("50%"),
                  "p99_ms": ms("99%"), "non_2xx": int(non2xx.group(1)) if non2xx else 0}))
PY
)
  echo "concurrency $c: served $served, bare $bare"
  results+=("$c" "$served" "$bare")
done
/usr/bin/python3 - "${results[@]}" <<'PY'
import json, sys
a = sys.argv[1:]
rows = {int(a[i]): (json.loads(a[i + 1]), json.loads(a[i + 2])) for i in range(0, len(a), 3)}
parts = []
for c, (s, b) in sorted(rows.items()):
    parts.append(f"c{c}_rps={s['rps']:.1f} c{c}_bare_rps={b['runs_per_s']:.1f} c{c}_p50_ms={s['p50_ms']:.2f} "
                 f"c{c}_p99_ms={s['p99_ms']:.2f} c{c}_overhead={1 - s['rps'] / b['runs_per_s']:.3f}"
                 + (f" c{c}_errors={s['non_2xx']}" if s["non_2xx"] else ""))
s, b = rows[4]
print(f"RESULT serve ratio={s['rps'] / b['runs_per_s']:.3f} overhead_c4={1 - s['rps'] / b['runs_per_s']:.3f} "
      + " ".join(parts) + " goal: overhead_c4<=0.15")
PY
