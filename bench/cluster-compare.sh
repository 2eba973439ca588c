#!/usr/bin/env bash
# `redisaudit compare` of every built-in scenario with a 3-primary cluster as B, against the same
# compare with a single server as B, in the same run on the same machine. A is a single Redis
# 7.0 server in both. Starts everything on free ports (persistence off), times each compare with
# /usr/bin/time, RUNS rounds taking turns, and prints seconds, peak memory and the ratio.
# Needs redis-server, redis-cli, python3, /usr/bin/time and a release build (made here).
set -euo pipefail

cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}

source bench/common.sh
require cluster-compare.sh "make deps" redis-server redis-cli python3 /usr/bin/time
build_release

PORT_A=$(free_port); start_server "$PORT_A"
PORT_B=$(free_port); start_server "$PORT_B"
start_cluster

# once NAME B: one compare of every built-in scenario, A against B; prints "seconds peak_kb".
once() {
    /usr/bin/time -f "%e %M" -o "$WORK/time" "$REDISAUDIT" compare "redis://127.0.0.1:$PORT_A" "$2" \
        --quiet --fail-on never --output "$WORK/$1.md" 2>"$WORK/$1.err" || {
        echo "bench/cluster-compare.sh: $1 failed ($?)" >&2; cat "$WORK/$1.err" >&2; exit 1; }
    cat "$WORK/time"
}

# keep VAR "s kb": keeps the faster of VAR's current value and the new one.
keep() {
    local current=${!1:-}
    if [ -z "$current" ] || awk "BEGIN{exit !(${2%% *} < ${current%% *})}"; then printf -v "$1" '%s' "$2"; fi
}

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
SINGLE="" CLUSTER=""
for round in $(seq 1 "$RUNS"); do
    echo "round $round of $RUNS" >&2
    r=$(once single "redis://127.0.0.1:$PORT_B") || exit 1; keep SINGLE "$r"
    r=$(once cluster "redis://127.0.0.1:${CLUSTER_PORTS[0]}") || exit 1; keep CLUSTER "$r"
done
read -r single single_kb <<<"$SINGLE"
read -r cluster cluster_kb <<<"$CLUSTER"
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
SCENARIOS=$(ls Scenarios/*.yaml | wc -l)

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
mb() { awk "BEGIN{printf \"%.0f\", $1 / 1024}"; }
echo
echo "compare of all $SCENARIOS built-in scenarios, $(nproc) cores, fastest of $RUNS rounds, load average $LOAD_BEFORE before and $LOAD_AFTER after"
echo
echo "| B | seconds | peak RSS (MB) | time vs single B |"
echo "|---|---:|---:|---:|"
echo "| a single Redis 7.0 server | $single | $(mb "$single_kb") | 1.00 |"
echo "| a 3-primary Redis 7.0 cluster | $cluster | $(mb "$cluster_kb") | $(ratio "$cluster" "$single") |"
