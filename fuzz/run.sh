#!/usr/bin/env bash
# Builds the libFuzzer executables and runs each for FUZZ_SECONDS (default 60) on its corpus.
#   fuzz/run.sh [TARGET...]     targets: resp-reader frame-scanner scenario config baseline fault-rule monitor-line rest-response
# Inputs the fuzzer finds interesting go to fuzz/.build/corpus/TARGET (not kept); an input that
# crashes, leaks, runs out of memory or takes longer than FUZZ_TIMEOUT seconds is written to
# fuzz/crashes/TARGET/ and the script exits 1 after running the other targets. Once the parser
# is fixed, move the input to fuzz/regressions/TARGET/, which is replayed by `make test`.
set -euo pipefail
cd "$(dirname "$0")/.."

SWIFT=${SWIFT:-swift}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-10}
FUZZ_RSS_MB=${FUZZ_RSS_MB:-2048}
FLAGS=(-c debug --package-path fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library)

# target, executable, -max_len
TABLE="resp-reader FuzzRESPReader 4096
frame-scanner FuzzFrameScanner 4096
scenario FuzzScenario 8192
config FuzzConfig 8192
baseline FuzzBaseline 8192
fault-rule FuzzFaultRule 1024
monitor-line FuzzMonitorLine 4096
rest-response FuzzRESTResponse 4096"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=($(echo "$TABLE" | cut -d' ' -f1))

# The same dependency versions as the main package's build, which (with SwiftPM's repository
# cache in ~/.cache/org.swift.swiftpm) also lets the fuzz package resolve without the network.
[ ! -f Package.resolved ] || cp Package.resolved fuzz/Package.resolved
"$SWIFT" build "${FLAGS[@]}"
bin=$("$SWIFT" build "${FLAGS[@]}" --show-bin-path)

failed=()
for target in "${targets[@]}"; do
    row=$(echo "$TABLE" | awk -v t="$target" '$1 == t')
    [ -n "$row" ] || { echo "fuzz: unknown target '$target'" >&2; exit 2; }
    read -r _ executable max_len <<<"$row"
    mkdir -p "fuzz/.build/corpus/$target" "fuzz/crashes/$target" "fuzz/regressions/$target"
    echo "fuzz: $target for ${FUZZ_SECONDS}s"
    # The first directory receives new inputs; the seeds and regressions are only read.
    if ! "$bin/$executable" "fuzz/.build/corpus/$target" "fuzz/corpus/$target" "fuzz/regressions/$target" \
        -max_total_time="$FUZZ_SECONDS" -max_len="$max_len" -timeout="$FUZZ_TIMEOUT" \
        -rss_limit_mb="$FUZZ_RSS_MB" -artifact_prefix="fuzz/crashes/$target/" -print_final_stats=1 \
        >"fuzz/.build/$target.log" 2>&1; then
        tail -n 60 "fuzz/.build/$target.log" >&2
        echo "fuzz: $target failed; the input is in fuzz/crashes/$target/, the log in fuzz/.build/$target.log" >&2
        failed+=("$target")
    fi
    grep -E '^(stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "fuzz/.build/$target.log" | tr '\n' ' ' || true
    echo
done
[ ${#failed[@]} -eq 0 ] || { echo "fuzz: crashes in ${failed[*]}" >&2; exit 1; }
