#!/usr/bin/env bash
# checkin-capacity with 1,000 concurrent clients against a local Redis, next to
# redis-benchmark's INCR rate with as many clients, in the same run on the same machine.
# Prints the scenario's wall time, the commands per second its clients achieved after the
# barrier, the process's peak memory, and the ratio to redis-benchmark.
# Needs redis-server, redis-benchmark, /usr/bin/time and a release build.
set -euo pipefail

cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-1000}
CAPACITY=${CAPACITY:-500}
REQUESTS=${REQUESTS:-100000}
RUNS=${RUNS:-7}

source bench/common.sh
require concurrency.sh "make deps; apt-get install time" redis-server redis-benchmark redis-cli python3 /usr/bin/time
# One descriptor per connection, for this script's children and the server alike.
ulimit -n "$(ulimit -Hn)"
build_release

PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$PORT" --save "" --appendonly no --maxclients 10000 \
    --daemonize no --logfile "$WORK/redis.log" --dir "$WORK" &
PIDS+=($!)
wait_for_port "$PORT"

echo "load before: $(uptime)" >&2
# A (db 0) and B (db 1) run one after the other, each with all its clients: every run gives two
# samples of the scenario. redis-benchmark runs between them, so both see the same machine.
for run in $(seq 1 "$RUNS"); do
    redis-benchmark -p "$PORT" -c "$CLIENTS" -n "$REQUESTS" -t incr -q > "$WORK/benchmark.$run.txt"
    /usr/bin/time -v -o "$WORK/time.$run" "$REDISAUDIT" compare \
        "redis://127.0.0.1:$PORT/0" "redis://127.0.0.1:$PORT/1" --scenario checkin-capacity \
        --var clients="$CLIENTS" --var capacity="$CAPACITY" --fail-on never --quiet \
        --output /dev/null --json-output "$WORK/report.$run.json"
done
echo "load after: $(uptime)" >&2

python3 - "$WORK" "$RUNS" "$CLIENTS" "$REQUESTS" <<'PY'
import json, re, sys, statistics
work, runs, clients, requests = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
samples, rss, wall = [], [], []
for run in range(1, runs + 1):
    notes = json.load(open(f"{work}/report.{run}.json"))["summary"]["notes"]
    for note in notes:
        m = re.search(r"(\d+) of (\d+) clients connected in (\d+) ms; (\d+) commands in (\d+) ms after the barrier "
                      r"\((\d+) commands/s\); (\d+) ms in all", note)
        if m:
            samples.append({k: int(v) for k, v in zip(["connected", "clients", "connect", "commands", "race", "rate", "all"], m.groups())})
    timing = open(f"{work}/time.{run}").read()
    rss.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", timing).group(1)) / 1024)
    w = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", timing)
    wall.append(int(w.group(1) or 0) * 3600 + int(w.group(2)) * 60 + float(w.group(3)))
benches = [float(re.search(r"INCR: ([\d.]+) requests per second", open(f"{work}/benchmark.{run}.txt").read()).group(1))
           for run in range(1, runs + 1)]
bench = statistics.median(benches)
median = lambda key: statistics.median(s[key] for s in samples)
rate = median("rate")
print(f"| measure ({len(samples)} scenario runs, median) | value |")
print("|---|---:|")
print(f"| clients connected | {int(median('connected'))} of {clients} |")
print(f"| connecting {clients} clients | {median('connect'):.0f} ms |")
print(f"| the race (barrier to last client) | {median('race'):.0f} ms, {int(median('commands'))} commands |")
print(f"| the scenario step in all (connect, race, close) | {median('all'):.0f} ms |")
rates = [s["rate"] for s in samples]
print(f"| commands/s after the barrier | {rate:,.0f} (from {min(rates):,} to {max(rates):,}) |")
print(f"| redis-benchmark -c {clients} -n {requests} -t incr (median of {runs}) | {bench:,.0f} requests/s (from {min(benches):,.0f} to {max(benches):,.0f}) |")
print(f"| ratio | {rate / bench:.2f}x |")
print(f"| redisaudit compare, whole process (both sides, profiles, cleanup) | {statistics.median(wall):.2f} s |")
print(f"| peak RSS (max of {runs} processes) | {max(rss):.0f} MB |")
PY
