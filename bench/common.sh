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
