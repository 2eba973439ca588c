#!/usr/bin/env bash
# Throughput and latency of `redisaudit rest-gateway` in front of a local Redis, driven by wrk
# (bench/rest-gateway.lua), next to redis-benchmark's GET over TCP against the same Redis, in the
# same run on the same machine: POST / with one GET, /pipeline with 16 GETs (against
# redis-benchmark -P 16), and one client's p50 (the latency a REST command adds to a TCP one).
# Needs redis-server, redis-benchmark, wrk (make deps-bench), curl and a release build.
set -euo pipefail

cd "$(dirname "$0")/.."
CLIENTS=${CLIENTS:-50}
THREADS=${THREADS:-2}
SECONDS_EACH=${SECONDS_EACH:-10}
REQUESTS=${REQUESTS:-200000}
LATENCY_REQUESTS=${LATENCY_REQUESTS:-20000}

source bench/common.sh
require rest-gateway.sh "make deps-bench" redis-server redis-benchmark redis-cli wrk curl
build_release

REDIS_PORT=$(free_port)
start_server "$REDIS_PORT"
redis-cli -p "$REDIS_PORT" SET key value >/dev/null
# redis-benchmark's GET reads key:__rand_int__; with -r absent that is the literal key.
redis-cli -p "$REDIS_PORT" SET key:__rand_int__ value >/dev/null

export REST_TOKEN
REST_TOKEN=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
GATEWAY_PORT=$(free_port)
# GATEWAY_ARGS: extra options for the gateway
# shellcheck disable=SC2086
REDISAUDIT_REST_TOKEN=$REST_TOKEN "$REDISAUDIT" rest-gateway --listen "127.0.0.1:$GATEWAY_PORT" \
    --upstream "redis://127.0.0.1:$REDIS_PORT" ${GATEWAY_ARGS:-} >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
URL="http://127.0.0.1:$GATEWAY_PORT"
for _ in $(seq 1 100); do
    curl -fsS -o /dev/null -H "Authorization: Bearer $REST_TOKEN" "$URL/ping" 2>/dev/null && break
    sleep 0.1
done

SINGLE='["GET","key"]'
PIPELINE="[$(for i in $(seq 1 16); do printf '%s["GET","key"]' "$([ "$i" -gt 1 ] && echo ,)"; done)]"
# The bodies answer what they should before anything is timed.
check() { # path body expected
    local got
    got=$(curl -fsS -X POST -H "Authorization: Bearer $REST_TOKEN" -d "$2" "$URL$1")
    [ "$got" = "$3" ] || { echo "bench/rest-gateway.sh: $1 answered $got, not $3" >&2; exit 1; }
}
check / "$SINGLE" '{"result":"value"}'
check /pipeline "$PIPELINE" "[$(for i in $(seq 1 16); do printf '%s{"result":"value"}' "$([ "$i" -gt 1 ] && echo ,)"; done)]"

# requests/s, p50 µs, p99 µs of wrk against the gateway; fails on any non-2xx or socket error
rest() { # path body connections threads
    local line
    line=$(REST_BODY=$2 wrk -t"$4" -c"$3" -d"${SECONDS_EACH}s" -s bench/rest-gateway.lua "$URL$1" | grep '^RESULT')
    read -r _ rps p50 p99 status errors <<<"$line"
    if [ "$status" != 0 ] || [ "$errors" != 0 ]; then
        echo "bench/rest-gateway.sh: $1 had $status non-2xx responses and $errors socket errors" >&2
        exit 1
    fi
    echo "$rps $p50 $p99"
}

# requests/s, p50 µs, p99 µs of redis-benchmark's GET over TCP
tcp() { # clients pipeline requests
    redis-benchmark -p "$REDIS_PORT" -t get -n "$3" -c "$1" -P "$2" --csv 2>/dev/null |
        awk -F'","' '{ for (i = 1; i <= NF; i++) gsub(/"/, "", $i) } $1 == "GET" { printf "%.0f %.0f %.0f", $2, $5 * 1000, $7 * 1000 }'
}

echo "load before: $(uptime)" >&2
read -r r1 r1_50 r1_99 <<<"$(rest / "$SINGLE" "$CLIENTS" "$THREADS")"
read -r t1 t1_50 t1_99 <<<"$(tcp "$CLIENTS" 1 "$REQUESTS")"
read -r r16 r16_50 r16_99 <<<"$(rest /pipeline "$PIPELINE" "$CLIENTS" "$THREADS")"
read -r t16 t16_50 t16_99 <<<"$(tcp "$CLIENTS" 16 "$((REQUESTS * 4))")"
read -r l_rest l_rest_50 l_rest_99 <<<"$(rest / "$SINGLE" 1 1)"
read -r l_tcp l_tcp_50 l_tcp_99 <<<"$(tcp 1 1 "$LATENCY_REQUESTS")"
echo "load after: $(uptime)" >&2

# redis-benchmark -P 16 counts commands; one /pipeline request carries 16 of them.
t16_batches=$((t16 / 16))
printf '| load | requests/s | commands/s | p50 µs | p99 µs |\n|---|---:|---:|---:|---:|\n'
printf '| REST `POST /` `["GET","key"]`, %s connections | %s | %s | %s | %s |\n' "$CLIENTS" "$r1" "$r1" "$r1_50" "$r1_99"
printf '| TCP GET, %s clients (redis-benchmark) | %s | %s | %s | %s |\n' "$CLIENTS" "$t1" "$t1" "$t1_50" "$t1_99"
printf '| REST `/pipeline` of 16 GETs, %s connections | %s | %s | %s | %s |\n' "$CLIENTS" "$r16" "$((r16 * 16))" "$r16_50" "$r16_99"
printf '| TCP GET `-P 16`, %s clients (redis-benchmark) | %s | %s | %s | %s |\n' "$CLIENTS" "$t16_batches" "$t16" "$t16_50" "$t16_99"
printf '| REST `POST /`, 1 connection | %s | %s | %s | %s |\n' "$l_rest" "$l_rest" "$l_rest_50" "$l_rest_99"
printf '| TCP GET, 1 client | %s | %s | %s | %s |\n' "$l_tcp" "$l_tcp" "$l_tcp_50" "$l_tcp_99"
printf '\np50 a REST command adds to a TCP one (1 client): %s µs\n' "$((l_rest_50 - l_tcp_50))"

# Every built-in scenario compared over REST against over TCP: A is the same Redis over TCP in
# both, B over TCP in one and through the gateway in the other.
if command -v hyperfine >/dev/null; then
    REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    # The token reaches only the REST run, through the shell (REST_TOKEN is exported), never its command line.
    hyperfine --warmup 1 --runs "${COMPARE_RUNS:-5}" --shell=bash --export-json "$WORK/compare.json" \
        -n tcp "$REDISAUDIT compare $REDIS_URL $REDIS_URL --format json --fail-on never" \
        -n rest "REDISAUDIT_PASSWORD_B=\$REST_TOKEN $REDISAUDIT compare $REDIS_URL upstash+http://127.0.0.1:$GATEWAY_PORT --format json --fail-on never" \
        >"$WORK/hyperfine.log" 2>&1 || { cat "$WORK/hyperfine.log" >&2; exit 1; }
    python3 - "$WORK/compare.json" <<'PY'
import json, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
tcp, rest = runs["tcp"]["median"], runs["rest"]["median"]
print("\n| compare, every built-in scenario | median s |\n|---|---:|")
print(f"| B over TCP | {tcp:.2f} |\n| B over REST (the gateway) | {rest:.2f} |")
print(f"\nREST / TCP: {rest / tcp:.2f}x")
PY
fi
