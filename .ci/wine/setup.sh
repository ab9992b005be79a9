#!/usr/bin/env bash
# Prepares a Wine prefix that can run Go's Windows test binaries: Wine 8
# (Debian 12) lacks bcryptprimitives.dll, which Go >= 1.22 loads at
# start-up, so a small one is built from bcryptprimitives.c and put in
# system32. Prints the prefix's path. Needs wine64 and
# gcc-mingw-w64-x86-64.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export WINEPREFIX=${WINEPREFIX:-${TMPDIR:-/tmp}/dtleaks-wine}
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=${WINE:-/usr/lib/wine/wine64}
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  "$wine" wineboot --init >/dev/null 2>&1
  # wineboot returns before the server has written the prefix out.
  "${WINESERVER:-/usr/lib/wine/wineserver64}" --wait 2>/dev/null || wineserver -w 2>/dev/null || true
fi
sys32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -f "$sys32/bcryptprimitives.dll" ] || [ "$here/bcryptprimitives.c" -nt "$sys32/bcryptprimitives.dll" ]; then
  x86_64-w64-mingw32-gcc -shared -O2 -Wl,--kill-at \
    -o "$sys32/bcryptprimitives.dll" "$here/bcryptprimitives.c" -ladvapi32
fi
echo "$WINEPREFIX"
