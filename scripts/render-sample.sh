#!/usr/bin/env bash
# Quick start, command 1: `rendernet demo` — the Cornell-box sample rendered across 4 local render nodes, paid per tile
# on a local anvil chain started for the job, with live progress, the receipt, out/demo.png and a timeline of the job
# (out/demo-timeline.png). Arguments go to `rendernet demo` (e.g. --spp 128 --width 960 --height 720 --nodes 8).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! build_log=$(dotnet build src/RenderNet.Cli -c Release -v quiet -nologo 2>&1); then
  echo "$build_log" >&2
  exit 1
fi
exec dotnet src/RenderNet.Cli/bin/Release/net10.0/rendernet.dll demo "$@"
