#!/usr/bin/env bash
# Prove the built application works on a desk with no Python and no network.
#
#   bash installer/build.sh && bash installer/smoke.sh
#
# Copies dist/district-planner/ outside the repository and runs it with a clean environment
# (env -i: no proxies, no Python on PATH, no PROJ/GDAL variables) in a network namespace
# with no network (unshare --net, when allowed): selftest, metrics --json (must equal the
# venv's), screenshot, project create/info, report, the GUI under Xvfb with the xcb
# platform, the start time; then ldd over every shared library in the bundle, the tarball
# and the .deb (dpkg-deb --info/--contents, and the unpacked package runs). As root with
# SMOKE_INSTALL_DEB=1 it also installs the .deb with apt, runs it from the PATH, removes it.
# Not part of .ci/run: building and checking take minutes (times in the README).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
START=$(date +%s)
SRC="dist/district-planner"
[ -x "$SRC/district-planner" ] || { echo "!! no $SRC: run bash installer/build.sh first" >&2; exit 1; }
DEB="$(ls dist/district-planner_*.deb 2>/dev/null | head -1)"
TAR="$(ls dist/district-planner-*.tar.gz 2>/dev/null | head -1)"
[ -n "$DEB" ] && [ -n "$TAR" ] || { echo "!! the .deb or .tar.gz is missing in dist/" >&2; exit 1; }

WORK="$(mktemp -d /tmp/district-planner-smoke.XXXXXX)"
KEEP="${SMOKE_KEEP:-$WORK/out}"   # screenshots, PDF and logs stay here to look at
mkdir -p "$KEEP" "$WORK/home" "$WORK/bin"
cleanup() { rm -rf "$WORK/app" "$WORK/deb" "$WORK/tar"; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
fail() { echo "!! SMOKE FAILED: $*" >&2; exit 1; }

step "copy the bundle outside the repository: $WORK/app"
cp -a "$SRC" "$WORK/app"
APP="$WORK/app/district-planner"
INTERNAL="$WORK/app/_internal"

# The desk: nothing inherited. PATH is an empty folder, so no python3 can be found.
NONET=()
if unshare --net true 2>/dev/null; then NONET=(unshare --net); fi
desk() {
  "${NONET[@]}" env -i HOME="$WORK/home" PATH="$WORK/bin" LANG=C.UTF-8 "$@"
}
echo "network: ${NONET[*]:-not isolated (unshare --net not allowed here)}"
if desk /bin/sh -c 'command -v python3 || command -v python' >/dev/null; then
  fail "python is reachable from the clean environment"
fi
if [ ${#NONET[@]} -gt 0 ] && "${NONET[@]}" /bin/sh -c 'exec 3<>/dev/tcp/pypi.org/443' 2>/dev/null; then
  fail "the network is reachable inside unshare --net"
fi

step "selftest (clean environment, no network)"
desk QT_QPA_PLATFORM=offscreen "$APP" selftest --keep "$KEEP/selftest" | tee "$KEEP/selftest.txt"
grep -q "^selftest passed" "$KEEP/selftest.txt" || fail "selftest"
for check in "datum grid transform" "headless screenshot" "PDF plan"; do
  grep -q "^ok    $check" "$KEEP/selftest.txt" || fail "selftest did not run '$check' in the bundle"
done

step "selftest with PROJ_DATA/PROJ_LIB/GDAL_DATA pointing at another PROJ (as QGIS leaves them)"
PYPROJ_DATA="$(dirname "$(find "$INTERNAL/pyproj" -name proj.db | head -1)")"
desk QT_QPA_PLATFORM=offscreen PROJ_DATA="$PYPROJ_DATA" PROJ_LIB="$PYPROJ_DATA" \
  GDAL_DATA=/nonexistent "$APP" selftest > "$KEEP/selftest-hostile.txt" 2>&1 ||
  { cat "$KEEP/selftest-hostile.txt"; fail "selftest with another PROJ's data in the environment"; }
grep -E "^(ok|FAIL)  +(data folders|transform)" "$KEEP/selftest-hostile.txt"
grep -q "ignored at start: PROJ_DATA=" "$KEEP/selftest-hostile.txt" ||
  fail "the runtime hook did not set aside PROJ_DATA"

step "metrics --json: identical to the venv's (on the code the bundle was built from)"
desk "$APP" metrics --json > "$KEEP/metrics-bundle.json"
if [ -x .venv/bin/python ] && [ -d build/source/desktop ]; then
  env PYTHONPATH="$ROOT/build/source/desktop" DISTRICT_PLANNER_RESOURCES="$ROOT/build/source/resources" \
    .venv/bin/python -m districtplanner metrics --json > "$KEEP/metrics-venv.json"
  # Only the folder the sample city was read from may differ.
  python3 - "$KEEP/metrics-bundle.json" "$KEEP/metrics-venv.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d.pop("source", None)
if a != b:
    raise SystemExit("metrics --json differs between the bundle and the venv")
print(f"identical: {len(a['districts'])} districts, every figure the same")
PY
else
  echo "(no .venv here to compare with; bundle output kept in $KEEP)"
fi

step "screenshot"
desk "$APP" screenshot --out "$KEEP/screenshot.png" --size 1600x1000
[ "$(stat -c %s "$KEEP/screenshot.png")" -gt 50000 ] || fail "screenshot too small"

step "project create / info / report"
desk "$APP" project create "$KEEP/plan.gpkg" --force
desk "$APP" project info "$KEEP/plan.gpkg" | tee "$KEEP/project-info.txt"
desk QT_QPA_PLATFORM=offscreen "$APP" report --project "$KEEP/plan.gpkg" --out "$KEEP/plan.pdf"
head -c 5 "$KEEP/plan.pdf" | grep -q '%PDF-' || fail "report wrote no PDF"
if command -v pdftoppm >/dev/null; then
  pdftoppm -r 50 -png -f 1 -l 1 "$KEEP/plan.pdf" "$KEEP/plan-page"
fi

step "the GUI under Xvfb with the xcb platform (stops once the map is drawn)"
# Xvfb runs outside the namespace; the app reaches it through its socket file.
xvfb-run -a -s "-screen 0 1600x1000x24" /bin/sh -c '
  exec env -i HOME="$1" PATH="$2" LANG=C.UTF-8 DISPLAY="$DISPLAY" XAUTHORITY="$XAUTHORITY" \
    QT_QPA_PLATFORM=xcb DISTRICT_PLANNER_QUIT_AFTER_DRAW=1 DISTRICT_PLANNER_SCREEN_GRAB="$4" "$3"' \
  sh "$WORK/home" "$WORK/bin" "$APP" "$KEEP/gui-xcb.png" > "$KEEP/gui-xcb.txt" 2>&1 ||
  { cat "$KEEP/gui-xcb.txt"; fail "the GUI did not start under Xvfb"; }
grep "drawn after" "$KEEP/gui-xcb.txt" || { cat "$KEEP/gui-xcb.txt"; fail "the GUI never drew"; }
grep -q "screen grabbed to .*: True" "$KEEP/gui-xcb.txt" || fail "no grab of the X screen"

step "start time from the bundle (command to drawn sample city and to its figures shown, offscreen, clean env)"
python3 benchmarks/bench_startup.py --exe "$APP" --runs 7 | tee "$KEEP/startup.txt"

step "ldd over every shared library in the bundle"
# The bootloader puts _internal on the library path, as here.
MISSING="$KEEP/ldd-not-found.txt"
: > "$MISSING"
COUNT=0
while IFS= read -r -d '' f; do
  if file -b "$f" | grep -q '^ELF'; then
    COUNT=$((COUNT + 1))
    LD_LIBRARY_PATH="$INTERNAL" ldd "$f" 2>/dev/null | grep "not found" | sed "s|^|$f: |" >> "$MISSING" || true
  fi
done < <(find "$WORK/app" -type f \( -name '*.so' -o -name '*.so.*' -o -path "$APP" \) -print0)
echo "$COUNT ELF files checked"
if [ -s "$MISSING" ]; then cat "$MISSING"; fail "libraries not found (see above)"; fi

step "tarball: unpacks and runs"
mkdir -p "$WORK/tar"
tar -C "$WORK/tar" -xzf "$TAR"
desk "$WORK/tar/district-planner/district-planner" --version

step ".deb: dpkg-deb --info / --contents"
dpkg-deb --info "$DEB" | tee "$KEEP/deb-info.txt"
dpkg-deb --contents "$DEB" > "$KEEP/deb-contents.txt"
for path in ./opt/district-planner/district-planner ./usr/bin/district-planner \
    ./usr/share/applications/district-planner.desktop \
    ./usr/share/icons/hicolor/256x256/apps/district-planner.png \
    ./opt/district-planner/_internal/resources/sample_city/sample_city.gpkg; do
  grep -q " $path\( \|$\)" "$KEEP/deb-contents.txt" || fail "$path is not in the .deb"
done
grep -q "^ Depends:.*libxcb-cursor0" "$KEEP/deb-info.txt" || fail "Depends lacks Qt's packages"
echo "$(wc -l < "$KEEP/deb-contents.txt") entries; /opt, /usr/bin, menu entry and icon present"
mkdir -p "$WORK/deb"
dpkg-deb -x "$DEB" "$WORK/deb"
desk "$WORK/deb/opt/district-planner/district-planner" metrics --json > "$KEEP/metrics-deb.json"
cmp -s "$KEEP/metrics-deb.json" "$KEEP/metrics-bundle.json" ||
  python3 - "$KEEP/metrics-deb.json" "$KEEP/metrics-bundle.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
a.pop("source"); b.pop("source")
if a != b:
    raise SystemExit("the unpacked .deb computes different figures")
PY
echo "the unpacked .deb runs and computes the same figures"

if [ "${SMOKE_INSTALL_DEB:-0}" = "1" ] && [ "$(id -u)" = "0" ]; then
  step ".deb: apt install, run from the PATH, apt remove (SMOKE_INSTALL_DEB=1)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$ROOT/$DEB" > "$KEEP/apt-install.txt" 2>&1 ||
    { cat "$KEEP/apt-install.txt"; fail "apt could not install the .deb"; }
  desk /usr/bin/district-planner metrics --json > "$KEEP/metrics-installed.json"
  test -f /usr/share/applications/district-planner.desktop || fail "no menu entry after install"
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq district-planner >> "$KEEP/apt-install.txt" 2>&1
  [ ! -e /opt/district-planner ] || fail "apt remove left /opt/district-planner behind"
  echo "installed with apt, ran from /usr/bin, removed cleanly"
fi

END=$(date +%s)
printf '\n== smoke test passed in %d s; outputs in %s\n' "$((END - START))" "$KEEP"
