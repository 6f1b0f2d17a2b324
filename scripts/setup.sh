#!/usr/bin/env bash
# Installs the Debian packages amor needs to build and test. Idempotent: packages already
# installed are left alone, and `apt-get update` runs only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ccache
  libopenblas-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libbz2-dev libpng-dev libcli11-dev libboost-context-dev
  clang libclang-rt-14-dev  # clang + libFuzzer runtime for the fuzz targets
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1; then
  sudo=(sudo)
else
  echo "setup: missing packages (${missing[*]}) and not root, no sudo: install them by hand" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
# Only install what the archive actually has (libcli11-dev is in Debian 12, but be tolerant).
installable=()
for p in "${missing[@]}"; do
  if apt-cache show "$p" >/dev/null 2>&1; then
    installable+=("$p")
  else
    echo "setup: warning: package $p is not available here; skipping" >&2
  fi
done
if [ ${#installable[@]} -gt 0 ]; then
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${installable[@]}"
fi
echo "setup: done"
