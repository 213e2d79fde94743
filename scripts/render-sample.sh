#!/usr/bin/env bash
# Quick start, command 1: renders the Cornell-box sample scene across 4 local render nodes, paid per tile on a local
# anvil chain started for the job, to out/cornell-box.png, and prints per node tiles, render time and the receipt.
# Arguments replace the default settings and go to `rendernet render` (e.g. --spp 256 --width 1280 --height 960).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if ! build_log=$(dotnet build src/RenderNet.Cli -c Release -v quiet -nologo 2>&1); then
  echo "$build_log" >&2
  exit 1
fi
settings=("$@")
[ $# -eq 0 ] && settings=(--width 320 --height 240 --spp 64)
mkdir -p out
exec dotnet src/RenderNet.Cli/bin/Release/net10.0/rendernet.dll render samples/cornell-box.glb --local-nodes 4 --pay --out out/cornell-box.png "${settings[@]}"
