#!/usr/bin/env bash
# Packages RenderNet.Client for engines: a NuGet package (netstandard2.1 + net8.0) and a Unity package folder
# (package.json, Runtime/ with the netstandard2.1 DLL and its dependencies as plain DLLs). Output: artifacts/.
# Nothing engine-specific is compiled here: Unity imports the folder as a local package (Package Manager → Add
# package from disk), Godot and Stride reference the NuGet package.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-artifacts}
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/RenderNet.Client/RenderNet.Client.csproj)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet pack src/RenderNet.Client -c Release -o "$out/nuget" >/dev/null

unity="$out/unity/com.rendernet.client"
rm -rf "$unity" && mkdir -p "$unity/Runtime"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dotnet publish src/RenderNet.Client -c Release -f netstandard2.1 -o "$tmp" >/dev/null
cp "$tmp"/*.dll "$tmp/RenderNet.Client.xml" "$unity/Runtime/"
# Mono (Unity's runtime) needs the netstandard2.0 build of Microsoft.Bcl.AsyncInterfaces: its netstandard2.1 facade
# forwards IAsyncDisposable to mscorlib while System.Text.Json's ValueTask comes from System.Threading.Tasks.Extensions,
# and Mono then fails to load Utf8JsonWriter ("VTable setup failed").
packages=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cp "$packages/microsoft.bcl.asyncinterfaces/8.0.0/lib/netstandard2.0/Microsoft.Bcl.AsyncInterfaces.dll" "$unity/Runtime/"
cat > "$unity/package.json" <<JSON
{
  "name": "com.rendernet.client",
  "version": "$version",
  "displayName": "RenderNet Client",
  "description": "Render glTF scenes on a RenderNet coordinator service (rendernet serve) with per-tile events ready for texture upload.",
  "unity": "2021.3",
  "license": "MIT"
}
JSON
cat > "$unity/README.md" <<'MD'
# RenderNet Client for Unity

Plain DLLs in `Runtime/` (no asmdef needed): `RenderNet.Client.dll` and the System.Text.Json it uses. Connect to a
running `rendernet serve` with its address and token, or start one on this machine with
`RenderServiceClient.StartLocalAsync` (needs the .NET runtime and `rendernet.dll`, see `LocalServiceOptions.ServiceProgram`).
Start jobs from the main thread: tile events arrive there, ready for `Texture2D.SetPixelData` on the tile's rectangle
(top-left origin: flip Y for Unity's bottom-left textures).
MD
echo "$out/nuget/RenderNet.Client.$version.nupkg"
echo "$unity"
