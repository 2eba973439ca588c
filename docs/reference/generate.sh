#!/usr/bin/env bash
# Writes docs/reference/<subcommand>.md from the binary's own --help, so the option reference
# is the help text. Usage: docs/reference/generate.sh [BINARY] (default: the debug build).
set -euo pipefail
cd "$(dirname "$0")"
bin=${1:-../../.build/debug/redisaudit}
for sub in compare inject keyspace proxy rest-gateway record baseline scenarios clean; do
    {
        echo "# redisaudit $sub"
        echo
        echo "Generated from \`redisaudit $sub --help\` by \`make reference\`; the same text is in \`man redisaudit\`."
        echo
        echo '```text'
        COLUMNS=100 "$bin" "$sub" --help
        echo '```'
    } > "$sub.md"
done
