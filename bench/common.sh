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

# start_server PORT [ARGS...]: a redis-server with persistence off in its own directory.
start_server() {
    local port=$1
    shift
    mkdir -p "$WORK/$port"
    "${SERVER_BINARY:-redis-server}" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
        --dir "$WORK/$port" --logfile "$WORK/$port/redis.log" "$@" &
    PIDS+=($!)
    wait_for_port "$port"
}

# cluster_port: a free port at most 55535 whose bus port (port + 10000) is free too.
cluster_port() {
    python3 - <<'PY'
import socket
for _ in range(200):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    if port > 55535:
        continue
    try:
        b = socket.socket(); b.bind(("127.0.0.1", port + 10000)); b.close()
    except OSError:
        continue
    print(port)
    break
else:
    raise SystemExit("bench: no free port pair for a cluster node")
PY
}

# CLUSTER_RANGES: the three primaries' slot ranges, in the order of CLUSTER_PORTS.
CLUSTER_RANGES=(0-5460 5461-10922 10923-16383)

# start_cluster: a 3-primary redis-server cluster on ports from cluster_port, slots assigned in
# CLUSTER_RANGES, nodes joined, every node at cluster_state:ok; sets CLUSTER_PORTS.
start_cluster() {
    CLUSTER_PORTS=()
    for _ in 1 2 3; do
        local port
        port=$(cluster_port)
        start_server "$port" --cluster-enabled yes --cluster-config-file nodes.conf
        CLUSTER_PORTS+=("$port")
    done
    for i in 0 1 2; do
        redis-cli -p "${CLUSTER_PORTS[$i]}" CLUSTER ADDSLOTSRANGE ${CLUSTER_RANGES[$i]/-/ } >/dev/null
    done
    for port in "${CLUSTER_PORTS[@]:1}"; do redis-cli -p "${CLUSTER_PORTS[0]}" CLUSTER MEET 127.0.0.1 "$port" >/dev/null; done
    echo "forming the cluster on ports ${CLUSTER_PORTS[*]}..." >&2
    for _ in $(seq 1 300); do
        local ok=0
        for port in "${CLUSTER_PORTS[@]}"; do
            local info
            info=$(redis-cli -p "$port" CLUSTER INFO)
            if grep -q "cluster_state:ok" <<<"$info" && grep -q "cluster_known_nodes:3" <<<"$info"; then ok=$((ok + 1)); fi
        done
        [ "$ok" -eq 3 ] && return 0
        sleep 0.1
    done
    echo "bench: the cluster on ports ${CLUSTER_PORTS[*]} did not reach cluster_state:ok in 30 s" >&2
    exit 1
}
