#!/usr/bin/env bash
# sdk.out_of_tree: the SDK as a third party gets it. Installs the SDK component of a Kohl
# build into a temporary prefix, builds sdk/examples/hello-plugin against that prefix only
# (never the source tree's sdk/include), loads it with the real `kohl`, and runs Kohl's
# plugin contract suite on it when kohl_tests is built.
#
# usage: bash tests/sdk/out_of_tree.sh BUILD_DIR EXAMPLE_SRC_DIR KOHL_BINARY
set -euo pipefail

if [[ $# -ne 3 ]]; then
  echo "usage: $0 BUILD_DIR EXAMPLE_SRC_DIR KOHL_BINARY" >&2
  exit 2
fi

step() { echo "==> $*"; }
die() { echo "FAIL: $*" >&2; exit 1; }

BUILD_DIR=$(cd "$1" && pwd) || die "build folder '$1' does not exist"
EXAMPLE_SRC=$(cd "$2" && pwd) || die "example folder '$2' does not exist"
KOHL=$3
[[ -x "$KOHL" ]] || die "kohl binary '$KOHL' is missing or not executable"
KOHL=$(cd "$(dirname "$KOHL")" && pwd)/$(basename "$KOHL")
# The headers of the source tree, which the example must not see.
SOURCE_SDK_INCLUDE=$(cd "$EXAMPLE_SRC/../.." && pwd)/include
PLUGIN_ID=org.example.hello.grayscale

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kohl-sdk-oot.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PREFIX=$TMP/prefix
OUT=$TMP/build
LOG=$TMP/log.txt

# Runs a command quietly; on failure prints its output and stops.
run_logged() {
  if ! "$@" >"$LOG" 2>&1; then
    cat "$LOG" >&2
    die "command failed: $*"
  fi
}

step "installing the SDK component of $BUILD_DIR into $PREFIX"
run_logged cmake --install "$BUILD_DIR" --prefix "$PREFIX" --component sdk
[[ -f "$PREFIX/include/kohl/sdk/sdk.hpp" ]] || die "install put no include/kohl/sdk/sdk.hpp under $PREFIX"
CONFIG=$(find "$PREFIX" -name KohlSDKConfig.cmake -print -quit)
[[ -n "$CONFIG" ]] || die "install put no KohlSDKConfig.cmake under $PREFIX"
echo "    package config: ${CONFIG#"$PREFIX"/}"

step "configuring $EXAMPLE_SRC out of tree against $PREFIX"
run_logged cmake -S "$EXAMPLE_SRC" -B "$OUT" -G Ninja -DCMAKE_PREFIX_PATH="$PREFIX" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_EXPORT_COMPILE_COMMANDS=ON
SDK_DIR=$(sed -n 's/^KohlSDK_DIR:PATH=//p' "$OUT/CMakeCache.txt")
[[ "$SDK_DIR" == "$PREFIX"/* ]] || die "find_package(KohlSDK) found '$SDK_DIR', not the SDK installed under $PREFIX"
echo "    KohlSDK_DIR=$SDK_DIR"

step "building the example"
run_logged cmake --build "$OUT"
PLUGIN_SO=$OUT/hello_plugin.so
[[ -f "$PLUGIN_SO" ]] || die "the build made no $PLUGIN_SO"

step "checking the compile used $PREFIX/include and not $SOURCE_SDK_INCLUDE"
# Two views: the include flags of compile_commands.json, and the headers ninja recorded as
# actually read (ninja -t deps). Paths are compared after resolving symlinks and "..".
(cd "$OUT" && ninja -t deps) >"$TMP/deps.txt" || die "ninja -t deps failed in $OUT"
python3 - "$OUT" "$TMP/deps.txt" "$PREFIX/include" "$SOURCE_SDK_INCLUDE" <<'PY'
import json, os, shlex, sys
out_dir, deps_path, prefix_inc, source_inc = sys.argv[1:5]
real = os.path.realpath
prefix_inc, source_inc = real(prefix_inc), real(source_inc)
def under(path, folder):
    return path == folder or path.startswith(folder + os.sep)

cmds = json.load(open(os.path.join(out_dir, "compile_commands.json")))
if not cmds:
    sys.exit("FAIL: compile_commands.json is empty")
for c in cmds:
    args = c["arguments"] if "arguments" in c else shlex.split(c["command"])
    dirs, i = [], 0
    while i < len(args):
        a = args[i]
        for flag in ("-isystem", "-iquote", "-idirafter", "-I"):
            if a == flag and i + 1 < len(args):
                dirs.append(args[i + 1]); i += 1; break
            if a.startswith(flag) and len(a) > len(flag):
                dirs.append(a[len(flag):]); break
        i += 1
    dirs = [real(os.path.join(c["directory"], d)) for d in dirs]
    leaks = [d for d in dirs if under(d, source_inc)]
    if leaks:
        sys.exit(f"FAIL: {c['file']} is compiled with the source tree's headers: {leaks}")
    if prefix_inc not in dirs:
        sys.exit(f"FAIL: {c['file']} is not compiled with {prefix_inc} (include folders: {dirs})")
print(f"    {len(cmds)} compile command(s) name {prefix_inc} and not the source tree")

read = [real(os.path.join(out_dir, line.strip())) for line in open(deps_path)
        if line.startswith(" ") and line.strip()]
sdk_headers = [h for h in read if os.sep + os.path.join("kohl", "sdk") + os.sep in h]
if not sdk_headers:
    sys.exit("FAIL: ninja recorded no kohl/sdk header read by the compile")
stray = [h for h in sdk_headers if not under(h, prefix_inc)]
if stray:
    sys.exit(f"FAIL: the compile read SDK headers from outside {prefix_inc}: {stray}")
print(f"    all {len(sdk_headers)} kohl/sdk headers read come from {prefix_inc}")
PY

step "kohl plugins list --json with KOHL_PLUGIN_PATH=$OUT"
KOHL_PLUGIN_PATH=$OUT "$KOHL" plugins list --json >"$TMP/list.json" 2>"$TMP/list.err" || {
  cat "$TMP/list.err" >&2
  die "kohl plugins list failed"
}
python3 - "$TMP/list.json" "$PLUGIN_ID" "$OUT" <<'PY'
import json, os, sys
path, plugin_id, out_dir = sys.argv[1:4]
records = json.load(open(path))
out_dir = os.path.realpath(out_dir)
mine = [r for r in records if os.path.realpath(r.get("file", "")).startswith(out_dir + os.sep)]
for r in mine:
    if r.get("status") != "loaded":
        sys.exit(f"FAIL: {r['file']} was rejected: {r.get('reason')}")
hits = [r for r in mine if r.get("id") == plugin_id]
if len(hits) != 1:
    sys.exit(f"FAIL: expected one loaded {plugin_id} from {out_dir}, got: {json.dumps(records, indent=2)}")
r = hits[0]
if r.get("kind") != "augmenter":
    sys.exit(f"FAIL: {plugin_id} has kind {r.get('kind')!r}, expected 'augmenter'")
print(f"    {plugin_id} {r['version']} loaded from {r['file']}")
print(f"    built: {r.get('abi', '?')}")
PY

step "kohl plugins describe $PLUGIN_ID --json"
KOHL_PLUGIN_PATH=$OUT "$KOHL" plugins describe "$PLUGIN_ID" --json >"$TMP/describe.json" 2>"$TMP/describe.err" || {
  cat "$TMP/describe.err" >&2
  die "kohl plugins describe $PLUGIN_ID failed"
}
python3 - "$TMP/describe.json" "$PLUGIN_ID" <<'PY'
import json, sys
path, plugin_id = sys.argv[1:3]
d = json.load(open(path))
problems = []
def expect(what, got, want):
    if got != want:
        problems.append(f"{what}: got {got!r}, expected {want!r}")
expect("id", d.get("id"), plugin_id)
expect("name", d.get("name"), "Grayscale")
expect("kind", d.get("kind"), "augmenter")
expect("params_version", d.get("params_version"), 1)
expect("capabilities", d.get("capabilities"), [])
for field in ("summary", "license_notes"):
    if not d.get(field):
        problems.append(f"{field} is empty")
params = {p["key"]: p for p in d.get("params", [])}
expect("parameter keys", sorted(params), ["amount", "p"])
for key in ("amount", "p"):
    p = params.get(key)
    if p is None:
        continue
    expect(f"{key}.type", p.get("type"), "float")
    expect(f"{key}.default", p.get("default"), 1.0)
    expect(f"{key}.min", p.get("min"), 0.0)
    expect(f"{key}.max", p.get("max"), 1.0)
    if not p.get("label"):
        problems.append(f"{key}.label is empty")
if problems:
    sys.exit("FAIL: kohl plugins describe: " + "; ".join(problems))
print("    params: " + ", ".join(f"{k} ({p['type']}, default {p['default']}, [{p['min']}, {p['max']}])"
                               for k, p in params.items()))
PY

TESTS=$BUILD_DIR/bin/kohl_tests
if [[ -x "$TESTS" ]]; then
  step "plugin contract suite on $OUT (KOHL_CONTRACT_PLUGIN_DIRS)"
  if ! KOHL_CONTRACT_PLUGIN_DIRS=$OUT "$TESTS" "[contract]" >"$LOG" 2>&1; then
    cat "$LOG" >&2
    die "the example fails Kohl's plugin contract suite"
  fi
  grep -E "test cases" "$LOG" | sed 's/^/    /' || true
else
  step "SKIPPED the plugin contract suite: $TESTS is not built (build the kohl_tests target to run it)"
fi

echo "PASS: the example plugin builds out of tree against the installed SDK and loads in kohl"
