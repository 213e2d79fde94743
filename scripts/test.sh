#!/usr/bin/env bash
# Quick start, command 2: runs every test (xunit, on whatever Vulkan device is present; lavapipe on a CPU-only machine)
# and ends with one line "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
# A test that hangs is stopped after 10 minutes and named (the slowest takes about one on two cores), rather than
# the whole run running into the CI limit with nothing said.
dotnet test RenderNet.sln -c Release --blame-hang-timeout 10m --blame-hang-dump-type none --logger "console;verbosity=normal" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
# Sum the per-project summaries ("     Passed: 9" / "     Failed: 1" / "     Skipped: 0" after "Total tests: 10").
awk '/^[[:space:]]+Passed: [0-9]+$/ {p+=$2} /^[[:space:]]+Failed: [0-9]+$/ {f+=$2} /^[[:space:]]+Skipped: [0-9]+$/ {s+=$2}
     END {printf "%d passed, %d failed, %d skipped\n", p, f, s}' "$log"
rm -f "$log"
exit "$status"
