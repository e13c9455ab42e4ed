#!/usr/bin/env bash
# Check a built bundle the way a user would meet it (CI runs this after build.sh):
#
#   packaging/check_bundle.sh [dist/dis-annotator]
#
# From an empty folder, with a throw-away HOME and no PYTHONPATH: --version, models list,
# the batch command on a bundled sample (classical stages: no weights), and the main window
# opened offscreen (DIS_ANNOTATOR_SMOKE_TEST, packaging/smoke.py). Prints bundle size and
# start-up times; exits non-zero on the first failure.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
bundle="$(cd "${1:-$repo/dist/dis-annotator}" && pwd)"
exe="$bundle/dis-annotator"
[[ -x "$exe" ]] || { echo "no bundle at $bundle (run packaging/build.sh)" >&2; exit 2; }

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
unset PYTHONPATH PYTHONHOME
export HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" XDG_DATA_HOME="$tmp/home/.local/share"
export DIS_ANNOTATOR_DATA_DIR="$tmp/userdata" DIS_ANNOTATOR_MODELS="$tmp/no-models"
export QT_QPA_PLATFORM=offscreen
mkdir -p "$HOME"
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# the bundle must not contain weights or developer-only torch parts
if find "$bundle" \( -name '*.pth' -o -name '*.pt' \) | grep -q .; then fail "weights inside the bundle"; fi
[[ -d "$bundle/_internal/torch/include" ]] && fail "torch C++ headers were bundled"
data="$bundle/_internal/dis_annotator/_data"
[[ -f "$data/resources/samples/boxes.json" ]] || fail "resources/ missing from the bundle"

t0=$(now); "$exe" --version > version.txt; t1=$(now)
cat version.txt
grep -q '^dis-annotator ' version.txt || fail "--version printed no app version"
grep -q 'device cpu' version.txt || fail "--version printed no device"
echo "--version: $(secs "$t0" "$t1") s"

if "$exe" models --help > /dev/null 2>&1; then
    "$exe" models list | tee models.txt
    grep -q "$data/models" models.txt || fail "models list does not search the bundled manifest's folder"
else
    echo "(models command not in this build)"
fi

t0=$(now)
"$exe" segment "$data/resources/samples/coffee.jpg" --boxes "$data/resources/samples/boxes.json" \
    --out masks --engine classical --refiner classical --no-progress
t1=$(now)
[[ -s masks/coffee.png ]] || fail "batch wrote no mask"
echo "segment (1 image, classical): $(secs "$t0" "$t1") s"

if [[ -f "$bundle/_internal/dis_annotator/ui/main_window.pyc" ]] || "$exe" gui --help > /dev/null 2>&1; then
    t0=$(now)
    DIS_ANNOTATOR_SMOKE_TEST=1 "$exe" > smoke.txt 2>&1 || { cat smoke.txt; fail "window smoke test"; }
    t1=$(now)
    grep -q 'SMOKE window-shown visible=1' smoke.txt || { cat smoke.txt; fail "no main window shown"; }
    # the inference thread must build its pipeline: torch and the stages load in the bundle
    grep -q 'SMOKE pipeline-ready' smoke.txt || { cat smoke.txt; fail "pipeline not built"; }
    grep SMOKE smoke.txt
    echo "gui start to window shown (and closed): $(secs "$t0" "$t1") s"
else
    echo "(desktop app not in this build)"
fi
echo "bundle size: $(du -sh "$bundle" | cut -f1)"
echo "OK"
