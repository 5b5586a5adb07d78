#!/usr/bin/env bash
# Installs what eddy needs to build (and, with --test, to run its tests:
# chromium, kcat, playwright-core),
# when missing: Debian packages through apt, and the web UI's JavaScript
# packages from the npm registry (web/package-lock.json: Chart.js, embedded
# in the binary at build time; tests/browser/package-lock.json:
# playwright-core for the browser test, which drives Debian's chromium).
# Used by `make`, `make test` and `make demo`; a no-op when all are present.
set -euo pipefail
cd "$(dirname "$0")/.."
test_deps=0
[ "${1:-}" = "--test" ] && test_deps=1

pkgs=(build-essential cmake pkg-config libxxhash-dev libjansson-dev libcmocka-dev
      libmicrohttpd-dev librdkafka-dev clang libclang-rt-14-dev mawk jq valgrind curl)
command -v npm >/dev/null 2>&1 || pkgs+=(nodejs npm)
[ $test_deps -eq 1 ] && pkgs+=(chromium kcat)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "eddy: installing missing packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci when the lock file is newer than what node_modules holds.
npm_ci() {
  local dir=$1
  if [ ! -f "$dir/node_modules/.package-lock.json" ] ||
     [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    echo "eddy: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}
npm_ci web
[ $test_deps -eq 1 ] && npm_ci tests/browser
exit 0
