#!/usr/bin/env bash
# What recording costs: redis-benchmark through `redisaudit record` against through
# `redisaudit proxy` (no fault), at -P 1 and -P 16, in the same run; the record process's peak
# memory with the default budget and with a small one (--max-memory), and how long writing the
# scenarios takes once the recording ends.
# Needs redis-server, redis-benchmark, redis-cli (make deps-bench) and a release build.
set -euo pipefail

cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}
SMALL_BUDGET_MIB=${SMALL_BUDGET_MIB:-8}

source bench/common.sh
require record.sh "make deps-bench" redis-server redis-benchmark redis-cli
build_release

REDIS_PORT=$(free_port)
start_server "$REDIS_PORT"

# start NAME ARGS...: a redisaudit proxy or record in the background; sets PORT and PID.
start() {
    local name=$1
    shift
    PORT=$(free_port)
    "$REDISAUDIT" "$@" --listen "127.0.0.1:$PORT" --upstream "redis://127.0.0.1:$REDIS_PORT" \
        >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PID=$!
    PIDS+=("$PID")
    wait_for_port "$PORT"
}

# requests per second of one test ("GET" or "SET") from redis-benchmark's CSV output
rps() { # port pipeline test
    redis-benchmark -p "$1" -q -t "${3,,}" -n "$REQUESTS" -c "$CLIENTS" -P "$2" --csv 2>/dev/null |
        awk -F'","' -v test="$3" '{ gsub(/"/, "", $1); gsub(/"/, "", $2) } $1 == test { printf "%.0f", $2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
peak_mib() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# stop_record PID: Ctrl-C, then the seconds until it has written its scenarios and exited.
stop_record() {
    local started
    started=$(date +%s.%N)
    kill -INT "$1"
    while kill -0 "$1" 2>/dev/null; do sleep 0.05; done
    awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

start proxy proxy
PROXY_PORT=$PORT
start record record --output "$WORK/recorded"
RECORD_PORT=$PORT
RECORD_PID=$PID

printf '%-24s %12s %12s %12s\n' "test" "proxy" "record" "record/proxy"
for pipeline in 1 16; do
    for test in GET SET; do
        p=$(rps "$PROXY_PORT" "$pipeline" "$test")
        r=$(rps "$RECORD_PORT" "$pipeline" "$test")
        printf '%-24s %12s %12s %12s\n' "$test req/s -c $CLIENTS -P $pipeline" "$p" "$r" "$(ratio "$r" "$p")"
    done
done
recorded_peak=$(peak_mib "$RECORD_PID")
write_seconds=$(stop_record "$RECORD_PID")
commands=$(grep -o 'from [0-9]* commands' "$WORK/record.out" | grep -o '[0-9]*' || echo "?")
printf '\n%-44s %s\n' "record: commands recorded" "$commands"
printf '%-44s %s MiB\n' "record: peak memory (default budget)" "$recorded_peak"
printf '%-44s %s s\n' "record: Ctrl-C to scenarios written" "$write_seconds"

start small record --output "$WORK/recorded-small" --max-memory "$SMALL_BUDGET_MIB"
SMALL_PID=$PID
for pipeline in 1 16; do
    for test in GET SET; do rps "$PORT" "$pipeline" "$test" >/dev/null; done
done
small_peak=$(peak_mib "$SMALL_PID")
stop_record "$SMALL_PID" >/dev/null
printf '%-44s %s MiB\n' "record: peak memory (--max-memory $SMALL_BUDGET_MIB)" "$small_peak"
