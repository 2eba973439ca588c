#!/usr/bin/env bash
# Throughput and latency of a local Redis directly, through haproxy in TCP mode, and through
# `redisaudit proxy` with no fault active, in the same run on the same machine.
# Needs redis-server, redis-benchmark, haproxy (make deps-bench) and a release build.
set -euo pipefail

cd "$(dirname "$0")/.."
REQUESTS=${REQUESTS:-200000}
CLIENTS=${CLIENTS:-50}
LATENCY_REQUESTS=${LATENCY_REQUESTS:-20000}

source bench/common.sh
require proxy.sh "make deps-bench" redis-server redis-benchmark redis-cli haproxy
build_release

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$WORK" >"$WORK/redis.log" 2>&1 &
PIDS+=($!)
wait_for_port "$REDIS_PORT"

HAPROXY_PORT=$(free_port)
cat >"$WORK/haproxy.cfg" <<CFG
global
    maxconn 1024
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s
frontend redis_in
    bind 127.0.0.1:$HAPROXY_PORT
    default_backend redis_out
backend redis_out
    server redis 127.0.0.1:$REDIS_PORT
CFG
haproxy -f "$WORK/haproxy.cfg" -db >"$WORK/haproxy.log" 2>&1 &
PIDS+=($!)
wait_for_port "$HAPROXY_PORT"

PROXY_PORT=$(free_port)
# PROXY_ARGS: extra options for the proxy, e.g. PROXY_ARGS="--event-loops 2"
# shellcheck disable=SC2086
"$REDISAUDIT" proxy --listen "127.0.0.1:$PROXY_PORT" --upstream "redis://127.0.0.1:$REDIS_PORT" ${PROXY_ARGS:-} \
    >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
wait_for_port "$PROXY_PORT"

# requests per second of one test ("GET" or "SET") from redis-benchmark's CSV output
rps() { # port pipeline test
    redis-benchmark -p "$1" -q -t "${3,,}" -n "$REQUESTS" -c "$CLIENTS" -P "$2" --csv 2>/dev/null |
        awk -F'","' -v test="$3" '{ gsub(/"/, "", $1); gsub(/"/, "", $2) } $1 == test { printf "%.0f", $2 }'
}

# average, p50 and p99 latency (ms) of GET from one client
latency() { # port
    redis-benchmark -p "$1" -t get -n "$LATENCY_REQUESTS" -c 1 --csv 2>/dev/null |
        awk -F'","' '{ for (i = 1; i <= NF; i++) gsub(/"/, "", $i) } $1 == "GET" { printf "%s %s %s", $3, $5, $7 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
# microseconds a proxy adds to a direct latency given in ms
added_us() { awk -v p="$1" -v d="$2" 'BEGIN { printf "%.0f", (p - d) * 1000 }'; }

printf '%-22s %12s %12s %12s %10s\n' "test" "direct" "haproxy" "redisaudit" "ra/haproxy"
for pipeline in 1 16; do
    for test in GET SET; do
        d=$(rps "$REDIS_PORT" "$pipeline" "$test")
        h=$(rps "$HAPROXY_PORT" "$pipeline" "$test")
        r=$(rps "$PROXY_PORT" "$pipeline" "$test")
        printf '%-22s %12s %12s %12s %10s\n' "$test req/s -c $CLIENTS -P $pipeline" "$d" "$h" "$r" "$(ratio "$r" "$h")"
    done
done
read -r d_avg d_p50 d_p99 <<<"$(latency "$REDIS_PORT")"
read -r h_avg h_p50 h_p99 <<<"$(latency "$HAPROXY_PORT")"
read -r r_avg r_p50 r_p99 <<<"$(latency "$PROXY_PORT")"
printf '%-22s %12s %12s %12s %10s\n' "GET avg ms, 1 client" "$d_avg" "$h_avg" "$r_avg" "$(ratio "$r_avg" "$h_avg")"
printf '%-22s %12s %12s %12s %10s\n' "GET p50 ms, 1 client" "$d_p50" "$h_p50" "$r_p50" "$(ratio "$r_p50" "$h_p50")"
printf '%-22s %12s %12s %12s %10s\n' "GET p99 ms, 1 client" "$d_p99" "$h_p99" "$r_p99" "$(ratio "$r_p99" "$h_p99")"
printf '%-22s %12s %12s %12s\n' "p50 added vs direct us" "0" "$(added_us "$h_p50" "$d_p50")" "$(added_us "$r_p50" "$d_p50")"
