#!/usr/bin/env bash
# NPE speed and accuracy, amor vs the `sbi` package, on the same machine, data and thread count
# (issue #5's speed target: amor >= 5x faster at training to convergence on two_moons at 1e4
# simulations and at drawing 10 000 posterior samples, at equal or better C2ST).
#
#   bash bench/run_sbi_compare.sh [--threads "1"] [--observations 10] [--estimator maf|nsf]
#                                 [--amor PATH] [--c2st PATH] [--seed 0]
#   bash bench/run_sbi_compare.sh --summary-only DIR [--threads "1"]   (redo DIR's summary.md)
#
# Per thread count T (OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = T for amor, torch.set_num_threads(T)
# for sbi):
#   1. `amor simulate --task two_moons --n 10000 --seed S`: the training data, for both sides;
#   2. `amor evaluate --method npe --config {"estimator": E}` on the same simulations (amor
#      evaluate simulates them with the same seed): training time, then per observation the time
#      of posterior.sample(x_o, 10 000) and amor's sbibm C2ST;
#   3. bench/sbi_npe_compare.py: sbi's NPE with density_estimator=E on the CSV of step 1, its
#      training time and posterior.sample((10 000,), x=x_o) per observation (run from /tmp: the
#      repository's sbi/ folder would shadow the package);
#   4. tools/amor_c2st on sbi's samples: the same C2ST for both.
# Both sides use sbi's training defaults (Adam 5e-4, batch 200, 10 % validation, patience 20,
# clip 5) and the same estimator (MAF: sbi's default). Sampling times are medians over the
# observations; both include the rejection of samples outside the prior's box. Times are given
# as wall clock and as process CPU time (all threads): on a shared machine the CPU time of a
# one-thread run is the steadier figure.
#
# Timing etiquette on the shared machine: the whole run holds /tmp/amor-bench.lock (flock), and
# the 1-minute load average is recorded before each timed phase. OPENBLAS_CORETYPE is left as
# found and recorded. Output: build/bench/results-sbi/<UTC timestamp>/ (summary.md, JSON, logs).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ "${AMOR_BENCH_LOCKED:-0}" != 1 ]; then
  export AMOR_BENCH_LOCKED=1
  exec flock /tmp/amor-bench.lock bash "${BASH_SOURCE[0]}" "$@"
fi

threads_list="1"
num_obs=10
summary_only=""
estimator="maf"
seed=0
amor="$root/build/werror/apps/amor"
c2st="$root/build/werror/tools/amor_c2st"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads_list="$2"; shift ;;
    --observations) num_obs="$2"; shift ;;
    --estimator) estimator="$2"; shift ;;
    --amor) amor="$2"; shift ;;
    --c2st) c2st="$2"; shift ;;
    --seed) seed="$2"; shift ;;
    --summary-only) summary_only="$2"; shift ;;  # redo the summary of a finished run's directory
    *) echo "run_sbi_compare.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
load() { cut -d' ' -f1-3 /proc/loadavg; }
json_num() { python3 -c "import json, sys; print(json.load(open(sys.argv[2]))[sys.argv[1]])" "$1" "$2"; }

# Appends the table of thread count $2 to $1/summary.md, from the files the run left in $1.
summarize() {
  local out="$1" T="$2"
  local m="$out/amor_t$T/metrics.json" sj="$out/sbi_t$T.json"
  amor_field() { python3 -c "import json, statistics; m = json.load(open('$m')); print($1)"; }
  sbi_field() { python3 -c "import json, statistics; m = json.load(open('$sj')); print($1)"; }
  local n k sbi_scores=()
  n="$(amor_field "len(m['observations'])")"
  for k in $(seq 1 "$n"); do sbi_scores+=("$(json_num score "$out/sbi_t${T}_c2st_$k.json")"); done
  local amor_train amor_train_cpu amor_epochs amor_sample amor_sample_cpu amor_c2st
  local sbi_train sbi_train_cpu sbi_epochs sbi_sample sbi_sample_cpu sbi_c2st
  amor_train="$(amor_field "m['training']['seconds']")"
  amor_train_cpu="$(amor_field "m['training']['cpu_seconds']")"
  amor_epochs="$(amor_field "m['training']['epochs']")"
  amor_sample="$(amor_field "statistics.median(o['sampling_seconds'] for o in m['observations'])")"
  amor_sample_cpu="$(amor_field "statistics.median(o['sampling_cpu_seconds'] for o in m['observations'])")"
  amor_c2st="$(amor_field "m['c2st_mean']")"
  sbi_train="$(sbi_field "m['training_seconds']")"
  sbi_train_cpu="$(sbi_field "m['training_cpu_seconds']")"
  sbi_epochs="$(sbi_field "m['epochs']")"
  sbi_sample="$(sbi_field "statistics.median(o['sampling_seconds'] for o in m['observations'])")"
  sbi_sample_cpu="$(sbi_field "statistics.median(o['sampling_cpu_seconds'] for o in m['observations'])")"
  sbi_c2st="$(printf '%s\n' "${sbi_scores[@]}" | awk '{ s += $1 } END { print s / NR }')"
  {
    echo "## $T thread(s)"
    echo
    echo "load (1/5/15 min) before amor: $(cat "$out/load_amor_t$T"); before sbi: $(cat "$out/load_sbi_t$T"); after: $(cat "$out/load_after_t$T")"
    echo
    echo "| | amor | sbi | sbi / amor |"
    echo "|---|---|---|---|"
    awk -v a="$amor_train" -v b="$sbi_train" -v ea="$amor_epochs" -v eb="$sbi_epochs" \
      'BEGIN { printf "| training to convergence, wall | %.1f s (%s epochs) | %.1f s (%s epochs) | **%.1f×** |\n", a, ea, b, eb, b / a }'
    awk -v a="$amor_train_cpu" -v b="$sbi_train_cpu" -v ea="$amor_epochs" -v eb="$sbi_epochs" \
      'BEGIN { printf "| training, process CPU time (per epoch) | %.1f s (%.3f s) | %.1f s (%.3f s) | **%.1f×** (%.1f× per epoch) |\n", a, a / ea, b, b / eb, b / a, (b / eb) / (a / ea) }'
    awk -v a="$amor_sample" -v b="$sbi_sample" \
      'BEGIN { printf "| 10 000 posterior samples, wall (median over observations) | %.4f s | %.4f s | **%.1f×** |\n", a, b, b / a }'
    awk -v a="$amor_sample_cpu" -v b="$sbi_sample_cpu" \
      'BEGIN { printf "| 10 000 posterior samples, process CPU time (median) | %.4f s | %.4f s | **%.1f×** |\n", a, b, b / a }'
    awk -v a="$amor_c2st" -v b="$sbi_c2st" -v n="$n" \
      'BEGIN { printf "| mean C2ST, observations 1–%s (lower is better) | %.3f | %.3f | |\n", n, a, b }'
    echo
    echo "per-observation C2ST, amor: $(amor_field "' '.join('%.3f' % o['c2st'] for o in m['observations'])")"
    echo "per-observation C2ST, sbi:  $(printf '%.3f ' "${sbi_scores[@]}")"
    echo
  } >>"$out/summary.md"
}

if [ -n "$summary_only" ]; then
  head -n 8 "$summary_only/summary.md" >"$summary_only/summary.new" && mv "$summary_only/summary.new" "$summary_only/summary.md"
  for T in $threads_list; do summarize "$summary_only" "$T"; done
  cat "$summary_only/summary.md"
  exit 0
fi

for b in "$amor" "$c2st"; do
  [ -x "$b" ] || { echo "run_sbi_compare.sh: $b not built (bash scripts/build.sh werror --target amor_cli amor_c2st)" >&2; exit 2; }
done
data_dir="${AMOR_SBIBM_DIR:-$root/../shared/sbibm}"
[ -d "$data_dir/two_moons" ] || { echo "run_sbi_compare.sh: no sbibm data in $data_dir (set AMOR_SBIBM_DIR)" >&2; exit 2; }
(cd /tmp && python3 -c "import sbi, torch") || { echo "run_sbi_compare.sh: needs the sbi package (pip install sbi)" >&2; exit 2; }

out="$root/build/bench/results-sbi/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$out"
{
  echo "# amor vs sbi: NPE ($estimator) on two_moons, 10 000 simulations"
  echo
  echo "- date (UTC): $(date -u '+%Y-%m-%d %H:%M:%S'); amor commit $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet || echo ' (dirty)')"
  echo "- CPU: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p') ($(nproc) CPUs)"
  echo "- OPENBLAS_CORETYPE: ${OPENBLAS_CORETYPE:-unset}"
  echo "- $(cd /tmp && python3 -c 'import sbi, torch; print(f"sbi {sbi.__version__}, torch {torch.__version__}")')"
  echo "- observations 1–$num_obs, 10 000 posterior samples each; C2ST: amor's sbibm C2ST (tools/amor_c2st) for both"
  echo
} >"$out/summary.md"

"$amor" simulate --task two_moons --n 10000 --seed "$seed" --out "$out/sims.csv" 2>"$out/simulate.log"
obs_files=()
for k in $(seq 1 "$num_obs"); do obs_files+=("$data_dir/two_moons/num_observation_$k/observation.csv"); done
printf '{"estimator": "%s"}\n' "$estimator" >"$out/amor_config.json"

for T in $threads_list; do
  export OMP_NUM_THREADS="$T" OPENBLAS_NUM_THREADS="$T"
  load >"$out/load_amor_t$T"
  echo "run_sbi_compare.sh: threads $T, amor (load $(load))"
  "$amor" evaluate --task two_moons --method npe --simulations 10000 --seed "$seed" \
    --observations "1-$num_obs" --config "$out/amor_config.json" --out "$out/amor_t$T" \
    >"$out/amor_t$T.log" 2>&1
  load >"$out/load_sbi_t$T"
  echo "run_sbi_compare.sh: threads $T, sbi (load $(load))"
  (cd /tmp && python3 "$root/bench/sbi_npe_compare.py" --sims "$out/sims.csv" --theta-dim 2 \
     --prior-low -1 -1 --prior-high 1 1 --observations "${obs_files[@]}" --estimator "$estimator" \
     --threads "$T" --seed "$seed" --out "$out/sbi_t$T") >"$out/sbi_t$T.json" 2>"$out/sbi_t$T.log"
  load >"$out/load_after_t$T"
  echo "run_sbi_compare.sh: threads $T, C2ST of sbi's samples (not timed)"
  for k in $(seq 1 "$num_obs"); do
    "$c2st" "$data_dir/two_moons/num_observation_$k/reference_posterior_samples.csv.bz2" \
      "$out/sbi_t$T/samples_$k.csv" >"$out/sbi_t${T}_c2st_$k.json"
  done
  summarize "$out" "$T"
done
cat "$out/summary.md"
echo "run_sbi_compare.sh: results in $out"
