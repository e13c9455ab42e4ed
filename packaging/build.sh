#!/usr/bin/env bash
# Build the one-folder Linux bundle with PyInstaller:
#
#   packaging/build.sh [--tar]
#
# -> dist/dis-annotator/dis-annotator (run it: CLI and app), plus share/ (desktop entry,
# icons) and install-linux.sh inside the folder; --tar also packs
# dist/dis-annotator-<version>-linux-<arch>.tar.gz. Check the result with
# packaging/check_bundle.sh. Environment: PYTHON (default: python3) must have the app's
# dependencies with the CPU torch wheel, and pyinstaller; DIST/WORK override the output
# and scratch folders (default dist/ and build/pyinstaller/).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
DIST=${DIST:-dist}
WORK=${WORK:-build/pyinstaller}

"$PYTHON" -c "import PyInstaller" 2>/dev/null || {
    echo "build.sh: PyInstaller is missing: $PYTHON -m pip install pyinstaller" >&2; exit 2; }
# A CUDA torch would drag ~3 GB of CUDA libraries into the bundle (docs/adr/0081).
"$PYTHON" - <<'PY'
import os, sys, torch
if torch.version.cuda and not os.environ.get("ALLOW_CUDA_TORCH"):
    sys.exit(f"build.sh: torch {torch.__version__} is a CUDA build; install the CPU wheel "
             "(--index-url https://download.pytorch.org/whl/cpu) or set ALLOW_CUDA_TORCH=1")
PY

start=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
    --distpath "$DIST" --workpath "$WORK" packaging/dis-annotator.spec
bundle="$DIST/dis-annotator"

# freedesktop files travel with the bundle; install-linux.sh puts them in place
mkdir -p "$bundle/share/applications" "$bundle/share/icons"
cp packaging/dis-annotator.desktop "$bundle/share/applications/"
cp -r packaging/icons/hicolor "$bundle/share/icons/"
mkdir -p "$bundle/share/icons/hicolor/scalable/apps"
cp packaging/icons/dis-annotator.svg "$bundle/share/icons/hicolor/scalable/apps/"
cp packaging/install-linux.sh "$bundle/"
end=$(date +%s)

echo "built $bundle in $((end - start)) s; size $(du -sh "$bundle" | cut -f1)"
if [[ "${1:-}" == "--tar" ]]; then
    version=$("$PYTHON" -c "import sys; sys.path.insert(0, '.'); import dis_annotator; print(dis_annotator.__version__)")
    tarball="$DIST/dis-annotator-$version-linux-$(uname -m).tar.gz"
    tar -C "$DIST" -czf "$tarball" dis-annotator
    echo "packed $tarball ($(du -sh "$tarball" | cut -f1))"
fi
