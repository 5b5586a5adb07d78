#!/usr/bin/env bash
# Installs the Debian packages eddy needs to build and test, when missing.
# Used by `make`, `make test` and `make demo`; a no-op when all are present.
set -euo pipefail
pkgs=(build-essential cmake pkg-config libxxhash-dev libjansson-dev libcmocka-dev
      clang libclang-rt-14-dev mawk jq valgrind)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "eddy: installing missing packages: ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
