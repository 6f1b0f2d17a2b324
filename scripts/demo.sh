#!/usr/bin/env bash
# The main job: builds the release `amor` and runs NPE on the two_moons task end to end —
# 10 000 simulations, training, 10 000 posterior samples at sbibm observation 1, the sbibm C2ST
# against the reference posterior, and the pair plot (samples over the reference).
#
#   bash scripts/demo.sh [extra `amor evaluate` flags, e.g. --method simformer --observations 1-3]
#
# Output: results/demo/ (AMOR_DEMO_OUT overrides): metrics.json, samples_1.csv, pair_1.svg.
# The reference posterior comes from the sbibm data directory (--data-dir / AMOR_SBIBM_DIR /
# ../shared/sbibm beside the source tree). Without it the demo still trains and samples, and
# plots the samples alone.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/build.sh" release --target amor_cli
amor="$root/build/release/apps/amor"
out="${AMOR_DEMO_OUT:-$root/results/demo}"
mkdir -p "$out"

if "$amor" tasks | grep -qE '^two_moons .*yes \('; then
  "$amor" evaluate --task two_moons --method npe --simulations 10000 --observations 1 --seed 0 \
    --out "$out" "$@"
  echo "demo: metrics in $out/metrics.json; pair plot (samples vs reference) in $out/pair_1.svg"
else
  echo "demo: no sbibm reference data for two_moons (see \`amor tasks\`); training and sampling without C2ST"
  "$amor" train --task two_moons --method npe --simulations 10000 --seed 0 --out "$out/model.safetensors" "$@"
  # An observation of our own (the origin lies inside two_moons' data range): no data files needed.
  printf 'x_1,x_2\n0.0,0.0\n' >"$out/observation.csv"
  "$amor" sample --model "$out/model.safetensors" --observation "$out/observation.csv" --n 10000 --seed 1 \
    --out "$out/samples_1.csv"
  "$amor" plot --samples "$out/samples_1.csv" --out "$out/pair_1.svg"
  echo "demo: samples in $out/samples_1.csv; pair plot in $out/pair_1.svg"
fi
