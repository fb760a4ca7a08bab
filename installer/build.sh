#!/usr/bin/env bash
# Build District Planner as an offline application for Linux:
#   dist/district-planner/                  the one-folder app (PyInstaller)
#   dist/district-planner-VERSION-linux-ARCH.tar.gz   that folder, to unpack anywhere
#   dist/district-planner_VERSION_ARCH.deb  installs under /opt, with a menu entry and icon
#
#   bash installer/build.sh
#
# Builds in its own venv (.venv-bundle, git-ignored), never touching .venv. The Windows and
# macOS commands are in the README; they use the same spec and are not tested here.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
VENV="${BUNDLE_VENV:-.venv-bundle}"
PYTHON="${PYTHON:-python3}"
START=$(date +%s)

say() { printf '>> %s\n' "$*"; }

# 1. The build venv: the app's runtime dependencies plus the `bundle` extra (pyinstaller).
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.district-planner-bundle"
if [ ! -f "$STAMP" ] || [ pyproject.toml -nt "$STAMP" ]; then
  say "installing the app's dependencies and pyinstaller into $VENV"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q ".[gui,bundle]"
  touch "$STAMP"
fi
# The source in desktop/ is bundled (the spec puts it first on the path), not a copy
# installed into the venv, so the bundle always holds the working tree's code.
"$VENV/bin/python" -m pip uninstall -q -y district-planner >/dev/null 2>&1 || true

VERSION="$("$VENV/bin/python" -c 'import sys; sys.path.insert(0, "desktop"); import districtplanner as d; print(d.__version__)')"
ARCH="$(dpkg --print-architecture 2>/dev/null || uname -m)"

# 2. The one-folder app, from a snapshot of the code and data (see the spec).
say "PyInstaller: dist/district-planner/"
rm -rf build/district-planner dist/district-planner build/source
mkdir -p build/source
cp -a desktop resources build/source/
find build/source -name __pycache__ -prune -exec rm -rf {} +
git rev-parse HEAD > build/source/COMMIT 2>/dev/null || true
DISTRICT_PLANNER_SOURCE="$ROOT/build/source" "$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build installer/district-planner.spec
APP="dist/district-planner"
test -x "$APP/district-planner"
# Datum grids (installer/grids/README.md): the spec puts them beside each library's own
# proj.db, since each reads only its own. Check that they arrived.
for dir in "$APP/_internal/pyproj/proj_dir/share/proj" "$APP/_internal/rasterio/proj_data" \
    "$APP/_internal/pyogrio/proj_data"; do
  test -f "$dir/proj.db" && test -f "$dir/BETA2007.gsb" ||
    { echo "!! $dir lacks proj.db or the datum grids" >&2; exit 1; }
done
cp installer/grids/README.md "$APP/DATUM-GRIDS.md"
say "datum grids shipped: $(cd "$APP/_internal/rasterio/proj_data" && ls *.gsb *.tif 2>/dev/null | tr '\n' ' ')"
# The menu entry and icon travel inside the folder too (the tarball's user installs them).
cp installer/linux/district-planner.desktop "$APP/"
cp resources/icons/district-planner.png resources/icons/district-planner.svg "$APP/"

# 3. The tarball: unpack anywhere, run ./district-planner/district-planner.
TAR="dist/district-planner-$VERSION-linux-$ARCH.tar.gz"
say "tarball: $TAR"
tar -C dist -czf "$TAR" district-planner

# 4. The .deb: /opt/district-planner, /usr/bin/district-planner, menu entry, icon.
DEB="dist/district-planner_${VERSION}_${ARCH}.deb"
say "Debian package: $DEB"
PKG="$(mktemp -d)"
trap 'rm -rf "$PKG"' EXIT
mkdir -p "$PKG/DEBIAN" "$PKG/opt" "$PKG/usr/bin" "$PKG/usr/share/applications" \
  "$PKG/usr/share/icons/hicolor/256x256/apps" "$PKG/usr/share/icons/hicolor/scalable/apps"
cp -a "$APP" "$PKG/opt/district-planner"
ln -s /opt/district-planner/district-planner "$PKG/usr/bin/district-planner"
sed 's|^Exec=.*|Exec=/opt/district-planner/district-planner %F|' \
  installer/linux/district-planner.desktop > "$PKG/usr/share/applications/district-planner.desktop"
cp resources/icons/district-planner.png "$PKG/usr/share/icons/hicolor/256x256/apps/"
cp resources/icons/district-planner.svg "$PKG/usr/share/icons/hicolor/scalable/apps/"
# Depends: the Debian packages Qt needs at run time, the same list bootstrap.sh installs.
mapfile -t QT_PACKAGES < <(grep -v '^\s*#' installer/linux/qt-packages.txt | grep -v '^\s*$')
DEPENDS="$(IFS=,; echo "${QT_PACKAGES[*]}" | sed 's/,/, /g; s/libglib2\.0-0/libglib2.0-0 | libglib2.0-0t64/')"
SIZE_KB="$(du -sk "$PKG" | cut -f1)"
cat > "$PKG/DEBIAN/control" <<EOF
Package: district-planner
Version: $VERSION
Section: science
Priority: optional
Architecture: $ARCH
Maintainer: District Planner developers <district-planner@example.org>
Installed-Size: $SIZE_KB
Depends: $DEPENDS
Homepage: https://example.org/district-planner
Description: offline GIS for planning creative districts
 Draw a proposed creative district and see what it would concentrate (firms,
 jobs, location quotient), whom it would put at risk (rents, displacement) and
 what its incentives would cost. Self-contained: Python, Qt, GDAL and PROJ
 ship inside /opt/district-planner; no network is needed.
EOF
cat > "$PKG/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if command -v update-desktop-database >/dev/null 2>&1; then update-desktop-database -q || true; fi
if command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t /usr/share/icons/hicolor || true
fi
EOF
chmod 0755 "$PKG/DEBIAN/postinst"
cp "$PKG/DEBIAN/postinst" "$PKG/DEBIAN/postrm"
dpkg-deb --root-owner-group -Zgzip --build "$PKG" "$DEB" >/dev/null

END=$(date +%s)
say "built in $((END - START)) s:"
du -sh "$APP" "$TAR" "$DEB" | sed 's/^/   /'
