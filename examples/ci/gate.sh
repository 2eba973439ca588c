#!/usr/bin/env bash
# The gate step of the CI examples: compare the current host with the new one, with the checked-in
# config and baseline beside this script, and exit as redisaudit does (0 pass, 1 new findings at or
# above fail-on, 2 usage error, 3 endpoint unreachable). Reports go to $REPORTS (default
# ./redisaudit-report): Markdown, JSON, JUnit XML and HTML; the log gets the short summary; on GitHub
# the Markdown also goes to the job summary.
#
#   examples/ci/gate.sh redis://current-host:6379 redis://new-host:6379
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
redisaudit=${REDISAUDIT:-redisaudit}
reports=${REPORTS:-redisaudit-report}
if [ $# -ne 2 ]; then
    echo "usage: $0 CURRENT_URL NEW_URL" >&2
    exit 2
fi
mkdir -p "$reports"
exec "$redisaudit" compare "$1" "$2" --config "$here/redisaudit.yaml" --summary \
    --output "$reports/report.md" --json-output "$reports/report.json" --junit-output "$reports/report.xml" \
    --html-output "$reports/report.html"
