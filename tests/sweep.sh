#!/usr/bin/env bash
# sweep.sh - `faultline sweep` and `faultline merge` end to end: the same
# bytes whatever -j; a plan run by real GNU parallel, by its Slurm script
# with each array index set and by its Kubernetes Indexed Job's command
# with each completion index set, each merged into the local sweep's
# bytes; merge refusing mixed scenario files and listing missing jobs;
# the sequential --seeds auto; the best point under a constraint; bad
# input (exit 2, named).
set -u
cd "$(dirname "$0")/.."
# shellcheck source=tests/harness.sh
. tests/harness.sh
FL=$(realpath "$FL")

# a short M/M/1 of its own (its digest must be changeable without touching scenarios/)
cat >"$tmp/mm1.yaml" <<'YAML'
faultline: 1
name: sweep-mm1
seed: 3
duration: 5s
warmup: 1s
services:
  - {name: server, workers: 1, queue: 10000, service_time: {dist: exponential, mean: 5ms}}
workload:
  - {name: arrivals, target: server, arrival: poisson, rate: 50/s, requests: [{path: /serve}]}
assertions:
  - {route: /serve, p99: "< 100ms"}
YAML
S=$tmp/mm1.yaml
VARY=(--vary 'services.server.service_time.mean=5ms,8ms' --vary 'workload.0.rate=50/s,80/s')

"$FL" sweep "$S" "${VARY[@]}" --seeds 3 -j 1 --out "$tmp/j1" --quiet
check "sweep -j 1 runs" '[ $? = 0 ] && [ -s "$tmp/j1/sweep.json" ]'
"$FL" sweep "$S" "${VARY[@]}" --seeds 3 -j 2 --out "$tmp/j2" --quiet
for f in sweep.json sweep.csv sweep.txt plots/sweep-p99.dat plots/sweep-error_rate.dat; do
    check "-j 1 and -j 2 write the same $f" 'cmp -s "$tmp/j1/$f" "$tmp/j2/$f"'
done
check "4 points x 3 seeds" '[ $(grep -c "\"seeds\": 3" "$tmp/j1/sweep.json") = 4 ]'
# a faster service never has a higher mean latency at the same arrivals (common random numbers)
check "the table has one line per point" '[ $(grep -cE "^  (5|8)ms +(50|80)/s +[0-9.]+ms ±" "$tmp/j1/sweep.txt") = 4 ] && grep -q "4 points x 3 seeds each from 3" "$tmp/j1/sweep.txt"'

# ---- a plan, run by GNU parallel on local slots, then merged
"$FL" sweep "$S" "${VARY[@]}" --seeds 3 --plan "$tmp/plan" --quiet
check "plan writes its files" 'for f in plan.txt jobs.txt parallel.sh slurm.sbatch k8s-job.yaml; do [ -s "$tmp/plan/$f" ] || exit 1; done'
check "12 jobs, one command each" '[ $(wc -l <"$tmp/plan/jobs.txt") = 12 ]'
cp -r "$tmp/plan" "$tmp/plan-slurm"
cp -r "$tmp/plan" "$tmp/plan-k8s"
FAULTLINE=$FL "$tmp/plan/parallel.sh" -j 2 >"$tmp/parallel.out" 2>&1
check "GNU parallel runs every job" '[ $? = 0 ] && [ $(ls "$tmp/plan/results" | wc -l) = 12 ]'
"$FL" merge "$tmp/plan" --out "$tmp/merged" --quiet
check "merge of the parallel plan exits 0" '[ $? = 0 ]'
check "merged sweep.json is the local one, byte for byte" 'cmp -s "$tmp/j1/sweep.json" "$tmp/merged/sweep.json"'
check "merged sweep.txt is the local one" 'cmp -s "$tmp/j1/sweep.txt" "$tmp/merged/sweep.txt"'

# ---- Slurm: the array directive covers the jobs; each task's command with its index
slurm_dir=$(realpath "$tmp/plan-slurm")
sed -i "s|$tmp/plan|$slurm_dir|g" "$slurm_dir/slurm.sbatch" "$slurm_dir/plan.txt"
check "sbatch array 0-11" 'grep -qx "#SBATCH --array=0-11" "$slurm_dir/slurm.sbatch"'
check "sbatch starts with a shebang and names the job" 'head -1 "$slurm_dir/slurm.sbatch" | grep -q "^#!/bin/sh" && grep -q "^#SBATCH --job-name=faultline-" "$slurm_dir/slurm.sbatch"'
ok_all=1
for k in $(seq 0 11); do
    SLURM_ARRAY_TASK_ID=$k FAULTLINE=$FL sh "$slurm_dir/slurm.sbatch" || ok_all=0
done
check "each Slurm array task runs its job" '[ $ok_all = 1 ] && [ $(ls "$slurm_dir/results" | wc -l) = 12 ]'
"$FL" merge "$slurm_dir" --out "$tmp/merged-slurm" --quiet
check "the Slurm plan merges into the local bytes" 'cmp -s "$tmp/j1/sweep.json" "$tmp/merged-slurm/sweep.json"'

# ---- Kubernetes: an Indexed Job of 12 completions; its command with each index
k8s_dir=$(realpath "$tmp/plan-k8s")
sed -i "s|$tmp/plan|$k8s_dir|g" "$k8s_dir/k8s-job.yaml" "$k8s_dir/plan.txt"
y=$k8s_dir/k8s-job.yaml
check "k8s: apiVersion batch/v1, kind Job" 'grep -qx "apiVersion: batch/v1" "$y" && grep -qx "kind: Job" "$y"'
check "k8s: Indexed, 12 completions, restartPolicy Never" 'grep -qx "  completionMode: Indexed" "$y" && grep -qx "  completions: 12" "$y" && grep -qx "      restartPolicy: Never" "$y"'
cmd=$(sed -n 's/^ *command: \["\/bin\/sh", "-c", "\(.*\)"\]$/\1/p' "$y" | sed 's/\\"/"/g; s/\\\\/\\/g')
check "k8s: the container runs a shell command using JOB_COMPLETION_INDEX" '[ -n "$cmd" ] && [[ "$cmd" == *JOB_COMPLETION_INDEX* ]]'
ok_all=1
for k in $(seq 0 11); do
    JOB_COMPLETION_INDEX=$k FAULTLINE=$FL sh -c "$cmd" || ok_all=0
done
check "each Kubernetes completion index runs its job" '[ $ok_all = 1 ] && [ $(ls "$k8s_dir/results" | wc -l) = 12 ]'
"$FL" merge "$k8s_dir" --out "$tmp/merged-k8s" --quiet
check "the Kubernetes plan merges into the local bytes" 'cmp -s "$tmp/j1/sweep.json" "$tmp/merged-k8s/sweep.json"'

# ---- merge across folders, missing jobs, mixed scenario files
mkdir -p "$tmp/half"
cp -r "$tmp/plan" "$tmp/half/a"
cp -r "$tmp/plan" "$tmp/half/b"
rm "$tmp/half/a/results/job-"{0,1,2,3,4,5}.txt "$tmp/half/b/results/job-"{6,7,8,9,10,11}.txt
"$FL" merge "$tmp/half/a" "$tmp/half/b" --out "$tmp/merged-two" --quiet
check "two folders holding halves merge into the local bytes" 'cmp -s "$tmp/j1/sweep.json" "$tmp/merged-two/sweep.json"'
rm "$tmp/half/a/results/job-7.txt"
"$FL" merge "$tmp/half/a" --out "$tmp/merged-missing" 2>"$tmp/err" >/dev/null
rc=$?
check "missing jobs: exit 2" '[ $rc = 2 ]'
check "missing jobs are listed with their point and seed" 'grep -q "missing job 0: point 1 (services.server.service_time.mean=5ms workload.0.rate=50/s), seed" "$tmp/err" && grep -q "7 of 12 jobs missing: nothing written" "$tmp/err"'
check "nothing written when jobs are missing" '[ ! -e "$tmp/merged-missing" ]'
cp -r "$tmp/plan" "$tmp/mixed"
printf '\n# edited after planning\n' >>"$S"
FAULTLINE=$FL sh -c "$(sed -n 1p "$tmp/mixed/jobs.txt" | sed "s|$tmp/plan|$tmp/mixed|")"
"$FL" merge "$tmp/mixed" --out "$tmp/merged-mixed" 2>"$tmp/err" >/dev/null
rc=$?
check "a job run on edited scenario files is refused" '[ $rc = 2 ] && grep -q "job-0.txt was run on other scenario files" "$tmp/err"'
"$FL" sweep "$S" "${VARY[@]}" --seeds 2 --plan "$tmp/plan-other" --quiet
"$FL" merge "$tmp/plan" "$tmp/plan-other" --out "$tmp/merged-x" 2>"$tmp/err" >/dev/null
check "folders of different plans are refused" '[ $? = 2 ] && grep -q "hold different plans" "$tmp/err"'

# ---- --seeds auto: the same whatever -j, within its bounds
"$FL" sweep "$S" --vary 'workload.0.rate=50/s,80/s' --seeds auto --precision 5% --max-seeds 12 -j 1 --out "$tmp/a1" --quiet
"$FL" sweep "$S" --vary 'workload.0.rate=50/s,80/s' --seeds auto --precision 5% --max-seeds 12 -j 2 --out "$tmp/a2" --quiet
check "--seeds auto: the same bytes with -j 1 and -j 2" 'cmp -s "$tmp/a1/sweep.json" "$tmp/a2/sweep.json"'
check "--seeds auto: between 5 and 12 seeds per point, in rounds" 'grep -q "\"rounds\": [2-9]" "$tmp/a1/sweep.json" && ! grep -qE "\"seeds\": ([0-4]|1[3-9])," "$tmp/a1/sweep.json"'

# ---- the best point under a constraint (the README's example, smaller)
"$FL" sweep scenarios/sweep-retries.yaml --vary 'mesh.VirtualService/search.spec.http.0.retries.attempts=0,2' \
    --seeds 2 --minimize p99 --subject-to 'error_rate<0.5%' --set duration=6s --out "$tmp/best" >"$tmp/best.out"
check "without retries 10% fail: the best point is 2 attempts" 'grep -q "^best (lowest p99 with error_rate<0.5%): attempts=2$" "$tmp/best.out"'
check "sweep.json names the best point" 'grep -q "\"best\": 1$" "$tmp/best/sweep.json"'

# ---- bad input: exit 2 and a message that names the problem
bad_sweep() { # DESCRIPTION EXPECTED-STDERR-SUBSTRING ARGS...
    local what=$1 want=$2
    shift 2
    "$FL" "$@" >/dev/null 2>"$tmp/err"
    local rc=$?
    check "$what: exit 2" '[ $rc = 2 ]'
    check "$what: says '$want'" 'grep -qF -- "$want" "$tmp/err"'
}
bad_sweep "no --vary" "--vary KEY=VALUES is needed" sweep "$S"
bad_sweep "no file" "a scenario FILE is needed" sweep --vary a=1
bad_sweep "range without step" "needs a step: FROM..TO/STEP" sweep "$S" --vary 'x=1..5'
bad_sweep "range of mixed units" "must share one unit" sweep "$S" --vary 'x=1ms..5s/1ms'
bad_sweep "unknown option" "unknown option '--frobnicate'" sweep "$S" --vary x=1 --frobnicate
bad_sweep "bad objective" "is not a metric" sweep "$S" --vary x=1 --minimize p98
bad_sweep "bad constraint" "is not METRIC<VALUE" sweep "$S" --vary x=1 --subject-to error_rate
bad_sweep "plan with auto seeds" "--plan needs a fixed --seeds N" sweep "$S" --vary x=1 --seeds auto --plan "$tmp/p2"
bad_sweep "zero seeds" "--seeds must be a whole number from 1" sweep "$S" --vary x=1 --seeds 0
bad_sweep "a point that does not load" "--set duration=soon: duration 'soon': not a number" sweep "$S" --vary 'duration=5s,soon' --seeds 1 --out "$tmp/badpoint"
check "nothing written for a sweep that failed" '[ ! -e "$tmp/badpoint" ]'
bad_sweep "merge of a folder that is no plan" "not a plan folder" merge "$tmp/j1"
cp -r "$tmp/plan" "$tmp/badplan"
printf 'arg %%zz\n' >>"$tmp/badplan/plan.txt"
bad_sweep "merge of a plan with a malformed argument" "not a plan this faultline reads" merge "$tmp/badplan"
bad_sweep "merge without folder" "a plan folder DIR is needed" merge
check "sweep --help" '"$FL" sweep --help | grep -q "^usage: faultline sweep FILE"'
check "merge --help" '"$FL" merge --help | grep -q "^usage: faultline merge DIR"'

echo "sweep tests: $pass passed, $fail failed"
[ $fail = 0 ]
