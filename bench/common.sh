# Sourced by the bench scripts: tool checks, the release build, free ports, a scratch directory
# and the background processes it stops on exit.

# require NAME HINT TOOL...: exits 2 naming the first missing tool.
require() {
    local name=$1 hint=$2
    shift 2
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "bench/$name: $tool is missing ($hint)" >&2; exit 2; }
    done
}

# Builds the release binary and sets REDISAUDIT to it.
build_release() {
    echo "building redisaudit (release)..." >&2
    swift build -c release >&2
    REDISAUDIT="$(swift build -c release --show-bin-path)/redisaudit"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# wait_for_port PORT: until something answers PING there (10 s at most).
wait_for_port() {
    for _ in $(seq 1 100); do
        redis-cli -p "$1" PING >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "bench: nothing answers PING on port $1" >&2
    exit 1
}

# start_cluster SERVER_BINARY: starts a 3-primary cluster of that server on free ports whose bus
# port (port + 10000) is free too, assigns the slots in three ranges, joins the nodes and waits
# for cluster_state:ok; sets CLUSTER_PORTS to the three ports.
start_cluster() {
    local binary=$1
    CLUSTER_PORTS=()
    while [ "${#CLUSTER_PORTS[@]}" -lt 3 ]; do
        local port
        port=$(python3 -c '
import random, socket
for _ in range(200):
    port = random.randint(20000, 55535)
    try:
        for p in (port, port + 10000):
            s = socket.socket(); s.bind(("127.0.0.1", p)); s.close()
    except OSError:
        continue
    print(port); break')
        mkdir -p "$WORK/node-$port"
        "$binary" --port "$port" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file "$WORK/node-$port/nodes.conf" \
            --save '' --appendonly no --daemonize no --dir "$WORK/node-$port" --logfile "$WORK/node-$port/log" &
        PIDS+=($!)
        wait_for_port "$port"
        CLUSTER_PORTS+=("$port")
    done
    redis-cli -p "${CLUSTER_PORTS[0]}" CLUSTER ADDSLOTSRANGE 0 5460 >/dev/null
    redis-cli -p "${CLUSTER_PORTS[1]}" CLUSTER ADDSLOTSRANGE 5461 10922 >/dev/null
    redis-cli -p "${CLUSTER_PORTS[2]}" CLUSTER ADDSLOTSRANGE 10923 16383 >/dev/null
    redis-cli -p "${CLUSTER_PORTS[0]}" CLUSTER MEET 127.0.0.1 "${CLUSTER_PORTS[1]}" >/dev/null
    redis-cli -p "${CLUSTER_PORTS[0]}" CLUSTER MEET 127.0.0.1 "${CLUSTER_PORTS[2]}" >/dev/null
    for _ in $(seq 1 300); do
        local ok=1
        for port in "${CLUSTER_PORTS[@]}"; do
            redis-cli -p "$port" CLUSTER INFO | grep -q 'cluster_state:ok' || ok=0
        done
        [ "$ok" = 1 ] && return 0
        sleep 0.1
    done
    echo "bench: the cluster on ports ${CLUSTER_PORTS[*]} did not reach cluster_state:ok" >&2
    exit 1
}
