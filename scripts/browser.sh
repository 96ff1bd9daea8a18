#!/usr/bin/env bash
# The browser the portal's tests drive: Debian's headless Chromium and the CJK fonts its screenshots need,
# installed when missing (idempotent; instant when present). Prints the Chromium executable's path.
#
#   scripts/browser.sh          install if needed, print the path
#
# Playwright's Python API drives it through `executable_path` (Playwright downloads no browser of its own).
set -euo pipefail

need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
[ -d /usr/share/fonts/opentype/noto ] && ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || need+=(fonts-noto-cjk)

if [ ${#need[@]} -gt 0 ]; then
    as_root() {
        if [ "$(id -u)" -eq 0 ]; then "$@"
        elif command -v sudo >/dev/null 2>&1; then sudo -n "$@"
        else echo "[browser] need root to install ${need[*]}" >&2; exit 1
        fi
    }
    echo "[browser] installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    as_root apt-get install -y -q --no-install-recommends "${need[@]}" >&2 \
        || { as_root apt-get update -q >&2 && as_root apt-get install -y -q --no-install-recommends "${need[@]}" >&2; }
fi
command -v chromium
