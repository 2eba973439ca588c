#!/usr/bin/env bash
# `redisaudit keyspace` on a 3-primary Redis Cluster against the same keys on one server.
# Starts one redis-server and three cluster nodes (free ports, persistence off; each node's port
# at most 55535 with port + 10000, its bus port, free), forms the cluster (CLUSTER ADDSLOTSRANGE,
# CLUSTER MEET, cluster_state:ok on every node), loads the same KEYS keys into both (the mix of
# patterns and TTLs of bench/keyspace-populate.py; for the cluster split per node by hash slot
# with bench/resp-by-slot.py), then times `redisaudit keyspace` on each with hyperfine and
# measures peak resident memory with /usr/bin/time. The target: the cluster within 1.2 times
# the single server.
# Needs redis-server, redis-cli, python3, hyperfine, /usr/bin/time and a release build (made here).
set -euo pipefail

cd "$(dirname "$0")/.."
KEYS=${KEYS:-1000000}
RUNS=${RUNS:-5}   # hyperfine runs per command, after one warm-up run

source bench/common.sh
require cluster-keyspace.sh "make deps deps-bench" redis-server redis-cli python3 hyperfine /usr/bin/time
build_release

SINGLE=$(free_port); start_server "$SINGLE"
start_cluster
NODES=("${CLUSTER_PORTS[@]}")
RANGES=("${CLUSTER_RANGES[@]}")

echo "generating $KEYS keys..." >&2
python3 bench/keyspace-populate.py "$KEYS" >"$WORK/keys.resp"
python3 bench/resp-by-slot.py "$WORK/node" "${RANGES[@]}" <"$WORK/keys.resp"
redis-cli -p "$SINGLE" --pipe <"$WORK/keys.resp" >/dev/null
for i in 0 1 2; do redis-cli -p "${NODES[$i]}" --pipe <"$WORK/node$i" >/dev/null; done
rm -f "$WORK/keys.resp" "$WORK"/node?
SINGLE_KEYS=$(redis-cli -p "$SINGLE" DBSIZE)
NODE_KEYS=()
for port in "${NODES[@]}"; do NODE_KEYS+=("$(redis-cli -p "$port" DBSIZE)"); done
CLUSTER_KEYS=$((NODE_KEYS[0] + NODE_KEYS[1] + NODE_KEYS[2]))
echo "single server: $SINGLE_KEYS keys; cluster: ${NODE_KEYS[*]} = $CLUSTER_KEYS keys" >&2
if [ "$SINGLE_KEYS" -ne "$CLUSTER_KEYS" ]; then
    echo "bench/cluster-keyspace.sh: the server and the cluster hold different key counts" >&2
    exit 1
fi

# The hot-slot and TTL findings are not the point here: --fail-on never keeps the exit code 0.
RUN_SINGLE="'$REDISAUDIT' keyspace redis://127.0.0.1:$SINGLE --quiet --fail-on never"
RUN_CLUSTER="'$REDISAUDIT' keyspace redis://127.0.0.1:${NODES[0]} --quiet --fail-on never"

# Both must read every key: the JSON report's totals against DBSIZE.
for name in single cluster; do
    command=RUN_${name^^}
    bash -c "${!command} --format json" >"$WORK/$name.json"
    scanned=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["keyspace"]["endpoints"][0]["keysScanned"])' "$WORK/$name.json")
    if [ "$scanned" -ne "$SINGLE_KEYS" ]; then
        echo "bench/cluster-keyspace.sh: $name read $scanned keys of $SINGLE_KEYS" >&2
        exit 1
    fi
done

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
echo "load before the runs: $LOAD_BEFORE" >&2
hyperfine --runs "$RUNS" --warmup 1 --style basic --export-json "$WORK/times.json" \
    -n single "$RUN_SINGLE" -n cluster "$RUN_CLUSTER" >&2

# peak NAME COMMAND: the command's peak resident memory in KB, largest of three runs.
peak() {
    local most=0 kb
    for _ in 1 2 3; do
        /usr/bin/time -f %M -o "$WORK/peak" bash -c "$2" >/dev/null 2>&1
        kb=$(tail -1 "$WORK/peak")
        [ "$kb" -gt "$most" ] && most=$kb
    done
    echo "$most"
}
SINGLE_KB=$(peak single "exec $RUN_SINGLE")
CLUSTER_KB=$(peak cluster "exec $RUN_CLUSTER")
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
echo "load after the runs: $LOAD_AFTER" >&2

python3 - "$WORK/times.json" "$SINGLE_KB" "$CLUSTER_KB" "$SINGLE_KEYS" "$RUNS" "$(nproc)" "$LOAD_BEFORE" "$LOAD_AFTER" "${NODE_KEYS[*]}" <<'PY'
import json, sys
times, single_kb, cluster_kb, keys, runs, cores, before, after, nodes = sys.argv[1:]
results = {r["command"]: r for r in json.load(open(times))["results"]}
s, c = results["single"], results["cluster"]
single_kb, cluster_kb = int(single_kb), int(cluster_kb)
print()
print(f"{int(keys):,} keys ({', '.join(f'{int(n):,}' for n in nodes.split())} on the three primaries), "
      f"{cores} cores, {runs} runs after a warm-up, load average {before} before and {after} after")
print()
print("| target | mean s | ± σ | min s | max s | peak RSS (MB) |")
print("|---|---:|---:|---:|---:|---:|")
for name, r, kb in (("single Redis 7.0 server", s, single_kb), ("3-primary Redis 7.0 cluster", c, cluster_kb)):
    print(f"| {name} | {r['mean']:.2f} | {r['stddev']:.2f} | {r['min']:.2f} | {r['max']:.2f} | {kb / 1024:.0f} |")
ratio = c["mean"] / s["mean"]
print(f"| cluster / single | {ratio:.2f} | | {c['min'] / s['min']:.2f} | | {cluster_kb / single_kb:.2f} |")
print()
print(f"target: cluster within 1.20 x the single server's time: {'met' if ratio <= 1.2 else 'NOT met'} ({ratio:.2f})")
PY
