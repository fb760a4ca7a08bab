#!/usr/bin/env bash
# Set up District Planner from nothing and run it or its tests.
#   bash installer/bootstrap.sh run     install (once), then open the app on the sample city
#   bash installer/bootstrap.sh test    install (once), then run the whole test suite
#   bash installer/bootstrap.sh setup   install only
# Idempotent: the second run reuses .venv and skips what is already installed.
set -euo pipefail

cd "$(dirname "$0")/.."
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-python3}"

# Debian packages Qt 6 needs at run time (offscreen and xcb platforms): one list, shared
# with the .deb's Depends (installer/build.sh). And xvfb for the tests.
mapfile -t QT_PACKAGES < <(grep -v '^[[:space:]]*#' installer/linux/qt-packages.txt | grep -v '^[[:space:]]*$')
TEST_PACKAGES=(xvfb xauth poppler-utils)

missing_packages() {
  local pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      printf '%s ' "$pkg"
    fi
  done
}

ensure_apt() {
  command -v dpkg-query >/dev/null 2>&1 || return 0   # not Debian: trust the user
  local missing
  missing="$(missing_packages "$@")"
  [ -z "$missing" ] && return 0
  if [ "$(id -u)" = "0" ]; then
    echo ">> installing system packages: $missing"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
  else
    echo "!! District Planner needs these Debian packages, which are missing:" >&2
    echo "   sudo apt-get install $missing" >&2
    echo "   Install them, then run this command again." >&2
    exit 1
  fi
}

ensure_venv() {
  if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
      ensure_apt python3-venv
    fi
    echo ">> creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  local stamp="$VENV/.district-planner-$1"
  # Reinstall only when pyproject.toml changed since the last install.
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    echo ">> installing District Planner and its Python packages into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e ".[$1]"
    touch "$stamp"
  fi
}

case "${1:-run}" in
  run)
    ensure_apt "${QT_PACKAGES[@]}"
    ensure_venv gui
    shift || true
    exec "$VENV/bin/district-planner" "$@"
    ;;
  test)
    ensure_apt "${QT_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    ensure_venv gui,test,qt-test
    shift || true
    export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
    exec "$VENV/bin/python" -m pytest "$@"
    ;;
  setup)
    ensure_apt "${QT_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
    ensure_venv gui,test,qt-test
    ;;
  *)
    echo "usage: bash installer/bootstrap.sh [run|test|setup]" >&2
    exit 2
    ;;
esac
