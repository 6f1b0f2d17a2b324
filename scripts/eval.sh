#!/usr/bin/env bash
# The accuracy grid of docs/results.md: `amor evaluate` over tasks × methods × simulation budgets,
# observations 1–10 each, one directory per cell (OUT/<task>/<method>/<budget>/metrics.json).
#
#   bash scripts/eval.sh [options]
#
#   --out DIR            where the cells go (default: build/eval beside this script's tree)
#   --amor PATH          the amor binary (default: build/werror/apps/amor, else build/release/apps/amor)
#   --tasks "A B"        only these tasks       (default: the whole grid below)
#   --methods "A B"      only these methods     (npe, nle, simformer)
#   --budgets "A B"      only these budgets     (1000, 10000)
#   --observations L     which observations     (default 1-10)
#   --seed S             training seed          (default 0)
#   --check              run only the cells that have a threshold (issue #5's acceptance), then
#                        compare their mean C2ST to it; exit 1 when any is above or missing
#   --no-run             run nothing; with --check, only compare what is already there
#   --dry-run            print the cells and their state, run nothing
#
# Resumable: a cell whose metrics.json exists (written atomically when `amor evaluate` is done)
# is skipped, so an interrupted grid restarts where it stopped. Delete a cell's directory to
# redo it. A failed cell is reported and the grid goes on (its log is OUT/<cell>/log.txt).
# Each cell also keeps its trained model (OUT/<cell>/model.safetensors, `--save-model`), so
# another sampler can be tried on it without training again.
# Several grids may run at once on one OUT (e.g. `--methods simformer` beside the rest): each
# cell is locked while it runs (OUT/<cell>/.lock) and a grid skips the cells another is running.
#
# Methods and their settings (scripts/eval/<method>.json, passed as `amor evaluate --config`):
#   npe  NSF (the sbibm paper's NPE), sbi's training defaults
#   nle  MAF + slice MCMC (sbi's NLE default; 100 chains, thin 10, SIR init)
#   simformer  undirected VE Simformer with a recipe cut down to fit a 2-core machine (issue #6:
#        at most 30 minutes of training per task at 1e4), ancestral sampling
#
# Threads: OMP_NUM_THREADS (default 1 here: the grid runs beside other work; the results do not
# depend on the thread count). Run it at low priority on a shared machine: nice -n 19.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/build/eval"
amor=""
tasks="" methods="" budgets=""
observations="1-10"
seed=0
check=0 run=1 dry=0

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --amor) amor="$2"; shift 2 ;;
    --tasks) tasks="$2"; shift 2 ;;
    --methods) methods="$2"; shift 2 ;;
    --budgets) budgets="$2"; shift 2 ;;
    --observations) observations="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    --check) check=1; shift ;;
    --no-run) run=0; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "eval.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# The grid, in the order it runs: what the acceptance needs first (NPE NSF at 1e4 on the five
# tasks, NLE at 1e4 on two_moons and slcp), then the 1e3 column, then NLE on the other tasks.
grid=(
  "two_moons npe 10000" "gaussian_linear npe 10000" "gaussian_mixture npe 10000" "slcp npe 10000" "sir npe 10000"
  "two_moons nle 10000" "slcp nle 10000"
  "two_moons npe 1000" "gaussian_linear npe 1000" "gaussian_mixture npe 1000" "slcp npe 1000" "sir npe 1000"
  "two_moons nle 1000" "slcp nle 1000"
  "gaussian_linear nle 10000" "gaussian_mixture nle 10000" "sir nle 10000"
  "gaussian_linear nle 1000" "gaussian_mixture nle 1000" "sir nle 1000"
  "two_moons simformer 10000" "gaussian_mixture simformer 10000" "slcp simformer 10000"
  "gaussian_linear simformer 10000"
)

# Issue #5's acceptance: the sbibm paper's mean C2ST over observations 1–10 plus 0.03; issue #6's
# for the Simformer.
threshold() {
  case "$1" in
    "two_moons npe 10000") echo 0.64 ;;
    "gaussian_linear npe 10000") echo 0.58 ;;
    "gaussian_mixture npe 10000") echo 0.65 ;;
    "slcp npe 10000") echo 0.93 ;;
    "sir npe 10000") echo 0.71 ;;
    "two_moons nle 10000") echo 0.74 ;;
    "slcp nle 10000") echo 0.80 ;;
    "two_moons simformer 10000") echo 0.56 ;;
    "gaussian_linear simformer 10000") echo 0.55 ;;
    "gaussian_mixture simformer 10000") echo 0.57 ;;
    "slcp simformer 10000") echo 0.72 ;;
    *) echo "" ;;
  esac
}

in_list() {  # in_list WORD "LIST": true when LIST is empty or holds WORD
  [ -z "$2" ] && return 0
  local w
  for w in $2; do [ "$w" = "$1" ] && return 0; done
  return 1
}

selected=()
for cell in "${grid[@]}"; do
  read -r t m b <<<"$cell"
  in_list "$t" "$tasks" && in_list "$m" "$methods" && in_list "$b" "$budgets" || continue
  [ "$check" = 1 ] && [ -z "$(threshold "$cell")" ] && continue
  selected+=("$cell")
done
if [ ${#selected[@]} -eq 0 ]; then
  echo "eval.sh: no cell of the grid matches the selection" >&2
  exit 2
fi

if [ -z "$amor" ]; then
  for p in "$root/build/werror/apps/amor" "$root/build/release/apps/amor"; do
    [ -x "$p" ] && { amor="$p"; break; }
  done
fi
if [ "$run" = 1 ] && [ "$dry" = 0 ] && [ ! -x "$amor" ]; then
  echo "eval.sh: no amor binary (build it: bash scripts/build.sh werror --target amor_cli, or pass --amor)" >&2
  exit 2
fi
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
# Two grids on one OUT must not run the same cell twice or race on it: a cell runs only under
# its own lock (OUT/<cell>/.lock, held on file descriptor 8 until the next cell).
take_cell_lock() {  # take_cell_lock DIR: false when another grid is running that cell
  mkdir -p "$1"
  exec 8>"$1/.lock"
  flock -n 8
}

cell_dir() { read -r t m b <<<"$1"; echo "$out/$t/$m/$b"; }
# The "c2st_mean" line of a metrics.json (nlohmann's dump(2) puts each scalar on its own line).
mean_c2st() { sed -n 's/^ *"c2st_mean": *\([-0-9.eE+]*\).*/\1/p' "$1/metrics.json"; }

failed=0
for cell in "${selected[@]}"; do
  read -r t m b <<<"$cell"
  dir="$(cell_dir "$cell")"
  if [ -f "$dir/metrics.json" ]; then
    echo "eval.sh: [done]    $t $m $b: mean C2ST $(mean_c2st "$dir")"
    continue
  fi
  if [ "$dry" = 1 ] || [ "$run" = 0 ]; then
    echo "eval.sh: [to do]   $t $m $b"
    continue
  fi
  if ! take_cell_lock "$dir"; then
    echo "eval.sh: [busy]    $t $m $b (another eval.sh is running it)"
    continue
  fi
  [ -f "$dir/metrics.json" ] && continue  # finished by the grid that held the lock before us
  echo "eval.sh: [running] $t $m $b ($(date -u +%H:%M:%S) UTC, log: $dir/log.txt)"
  if "$amor" evaluate --task "$t" --method "$m" --simulations "$b" --observations "$observations" \
       --seed "$seed" --config "$root/scripts/eval/$m.json" --out "$dir" \
       --save-model "$dir/model.safetensors" >"$dir/log.txt" 2>&1; then
    echo "eval.sh: [done]    $t $m $b: mean C2ST $(mean_c2st "$dir")"
  else
    echo "eval.sh: [FAILED]  $t $m $b (exit $?; see $dir/log.txt)" >&2
    failed=1
  fi
done

[ "$check" = 1 ] || exit "$failed"

# --check: every selected cell against its threshold.
misses=0
echo
printf '%-18s %-4s %6s  %9s  %9s  %s\n' task method budget "mean C2ST" threshold result
for cell in "${selected[@]}"; do
  read -r t m b <<<"$cell"
  dir="$(cell_dir "$cell")"
  limit="$(threshold "$cell")"
  if [ ! -f "$dir/metrics.json" ]; then
    printf '%-18s %-4s %6s  %9s  %9s  %s\n' "$t" "$m" "$b" "-" "$limit" "MISSING"
    misses=$((misses + 1))
    continue
  fi
  mean="$(mean_c2st "$dir")"
  if awk -v a="$mean" -v b="$limit" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; then
    verdict=ok
  else
    verdict=ABOVE
    misses=$((misses + 1))
  fi
  printf '%-18s %-4s %6s  %9.4f  %9s  %s\n' "$t" "$m" "$b" "$mean" "$limit" "$verdict"
done
if [ "$misses" -gt 0 ]; then
  echo "eval.sh: $misses of ${#selected[@]} checked cells missed their threshold" >&2
  exit 1
fi
echo "eval.sh: all ${#selected[@]} checked cells within their thresholds"
