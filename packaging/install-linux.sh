#!/usr/bin/env bash
# Install an unpacked dis-annotator bundle for the current user (no root needed):
#
#   ./install-linux.sh            # from inside the bundle folder
#   PREFIX=/opt ./install-linux.sh  (system-wide, as root: PREFIX/opt stays self-contained)
#
# Copies the bundle to $PREFIX/lib/dis-annotator, links $PREFIX/bin/dis-annotator, and adds
# the desktop entry and icons under $PREFIX/share (freedesktop paths), so the app shows up
# in the desktop's menu and opens images from the file manager. Undo: --uninstall.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PREFIX=${PREFIX:-$HOME/.local}
app="$PREFIX/lib/dis-annotator"

if [[ "${1:-}" == "--uninstall" ]]; then
    rm -rf "$app" "$PREFIX/bin/dis-annotator" "$PREFIX/share/applications/dis-annotator.desktop"
    find "$PREFIX/share/icons/hicolor" -name 'dis-annotator.*' -delete 2>/dev/null || true
    echo "removed dis-annotator from $PREFIX"
    exit 0
fi
[[ -x "$here/dis-annotator" ]] || { echo "run this from the unpacked bundle folder" >&2; exit 2; }

mkdir -p "$PREFIX/lib" "$PREFIX/bin" "$PREFIX/share/applications"
if [[ "$here" != "$app" ]]; then
    rm -rf "$app"
    cp -a "$here" "$app"
fi
ln -sf "$app/dis-annotator" "$PREFIX/bin/dis-annotator"
# Exec with the absolute path: $PREFIX/bin may not be on the desktop session's PATH.
sed -e "s|^Exec=dis-annotator|Exec=$app/dis-annotator|" -e "s|^TryExec=.*|TryExec=$app/dis-annotator|" \
    "$here/share/applications/dis-annotator.desktop" > "$PREFIX/share/applications/dis-annotator.desktop"
cp -r "$here/share/icons/." "$PREFIX/share/icons/"
command -v update-desktop-database >/dev/null && update-desktop-database -q "$PREFIX/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q -t "$PREFIX/share/icons/hicolor" || true
echo "installed: $PREFIX/bin/dis-annotator (app in $app)"
