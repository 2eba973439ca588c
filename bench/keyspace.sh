#!/usr/bin/env bash
# `redisaudit keyspace` on 1,000,000 keys against `redis-cli --scan` and `redis-cli --bigkeys`,
# and two endpoints of 1,000,000 keys each side by side, in the same run on the same machine.
# Starts two local redis-servers (free ports, persistence off), fills both with the same mix
# of patterns and TTLs (bench/keyspace-populate.py through redis-cli --pipe), then times each
# command with /usr/bin/time and prints seconds, peak resident memory and ratios.
# Needs redis-server, redis-cli, python3, /usr/bin/time and a release build (made here).
set -euo pipefail

cd "$(dirname "$0")/.."
KEYS=${KEYS:-1000000}
RUNS=${RUNS:-5}   # rounds; each command runs once per round, the table shows its fastest

source bench/common.sh
require keyspace.sh "make deps" redis-server redis-cli python3 /usr/bin/time
build_release

PORT_A=$(free_port); start_server "$PORT_A"
PORT_B=$(free_port); start_server "$PORT_B"

echo "generating $KEYS keys..." >&2
python3 bench/keyspace-populate.py "$KEYS" >"$WORK/keys.resp"
for port in "$PORT_A" "$PORT_B"; do
    redis-cli -p "$port" --pipe <"$WORK/keys.resp" >/dev/null
    echo "port $port: $(redis-cli -p "$port" DBSIZE) keys" >&2
done
rm -f "$WORK/keys.resp"

# once NAME COMMAND...: runs the command once; prints "seconds peak_kb cpu_seconds" (cpu: user +
# system time of the command itself, not of the servers).
once() {
    local name=$1; shift
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time" bash -c "$*" >/dev/null 2>"$WORK/$name.err" || {
        local status=$?
        # redisaudit exits 1 when it has findings (the populated keyspace has some): that is a run.
        if [ "$status" -ne 1 ]; then echo "bench/keyspace.sh: $name failed ($status)" >&2; cat "$WORK/$name.err" >&2; exit 1; fi
    }
    read -r s kb user sys <"$WORK/time"
    echo "$s $kb $(awk "BEGIN{printf \"%.2f\", $user + $sys}")"
}

# keep VAR "s kb cpu": keeps the faster of VAR's current value and the new one.
keep() {
    local current=${!1:-}
    if [ -z "$current" ] || awk "BEGIN{exit !(${2%% *} < ${current%% *})}"; then printf -v "$1" '%s' "$2"; fi
}

LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg)
echo "load before the runs: $LOAD_BEFORE" >&2
# The four commands take turns, RUNS rounds, so a change in the machine's load hits them alike;
# each keeps its fastest round.
ONE="" TWO="" SCAN="" BIG=""
for round in $(seq 1 "$RUNS"); do
    echo "round $round of $RUNS" >&2
    r=$(once one "'$REDISAUDIT' keyspace redis://127.0.0.1:$PORT_A --quiet --fail-on never") || exit 1; keep ONE "$r"
    r=$(once two "'$REDISAUDIT' keyspace redis://127.0.0.1:$PORT_A redis://127.0.0.1:$PORT_B --quiet --fail-on never") || exit 1; keep TWO "$r"
    r=$(once scan "redis-cli -p $PORT_A --scan | wc -l") || exit 1; keep SCAN "$r"
    r=$(once bigkeys "redis-cli -p $PORT_A --bigkeys") || exit 1; keep BIG "$r"
done
read -r one one_kb one_cpu <<<"$ONE"
read -r two two_kb two_cpu <<<"$TWO"
read -r scan scan_kb scan_cpu <<<"$SCAN"
read -r big big_kb big_cpu <<<"$BIG"
LOAD_AFTER=$(cut -d' ' -f1 /proc/loadavg)
echo "load after the runs: $LOAD_AFTER" >&2

ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }
mb() { awk "BEGIN{printf \"%.0f\", $1 / 1024}"; }
echo
echo "$KEYS keys per server, $(nproc) cores, fastest of $RUNS rounds, load average $LOAD_BEFORE before and $LOAD_AFTER after"
echo
echo "| command | seconds | peak RSS (MB) | client CPU (s) | time vs keyspace A |"
echo "|---|---:|---:|---:|---:|"
echo "| redisaudit keyspace A (patterns + TTL statistics) | $one | $(mb "$one_kb") | $one_cpu | 1.00 |"
echo "| redisaudit keyspace A B (two endpoints side by side) | $two | $(mb "$two_kb") | $two_cpu | $(ratio "$two" "$one") |"
echo "| redis-cli --scan \\| wc -l | $scan | $(mb "$scan_kb") | $scan_cpu | $(ratio "$scan" "$one") |"
echo "| redis-cli --bigkeys | $big | $(mb "$big_kb") | $big_cpu | $(ratio "$big" "$one") |"
