#!/usr/bin/env bash
# The main job: builds the release preset and runs `amor demo` on its embedded default data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh" release --target amor_cli
exec "$root/build/release/apps/amor" demo "$@"
