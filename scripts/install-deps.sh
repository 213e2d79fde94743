#!/usr/bin/env bash
# Installs what RenderNet needs on Debian 12 beyond the .NET SDK: the Vulkan loader, Mesa's lavapipe (a CPU Vulkan
# driver, so everything runs without a GPU), the validation layers, glslc and ffmpeg (with libx264) for transcode jobs; GLFW and Xvfb for the sample viewer; Node.js and, in contracts/, the npm
# packages solc, OpenZeppelin and Foundry's anvil. Idempotent and quiet: it does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

# libglfw3, libgl1-mesa-dri, xvfb and xauth: the sample viewer's window and OpenGL context (Mesa's llvmpipe), which
# its tests open on a virtual X display.
# mono-runtime and mono-devel: a Unity-like runtime (Mono, .NET Framework 4.8 profile) on which the engine client's
# tests load engine-side code, as Unity's editor does.
# libopenexr-3-1-30: OpenEXRCore's C library, which RenderNet.Exr binds to write and read EXR files; openexr: its
# exrheader/exrinfo tools, which the tests use to read those files back independently.
packages=(libvulkan1 mesa-vulkan-drivers vulkan-validationlayers glslc ffmpeg libglfw3 libgl1-mesa-dri xvfb xauth mono-runtime mono-devel chromium libopenexr-3-1-30 openexr)
# --cycles: Blender (Cycles, its glTF exporter) and the numpy its glTF add-on needs, for the Cycles benchmark only
# (bench/RenderNet.Bench -- cycles, which installs nothing itself).
[ "${1:-}" = "--cycles" ] && packages+=(blender python3-numpy)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from elsewhere than Debian (a distribution's own build): only install it when absent.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

install_npm_packages() {
  local anvil="contracts/node_modules/@foundry-rs/anvil-linux-$( [ "$(uname -m)" = aarch64 ] && echo arm64 || echo amd64 )/bin/anvil"
  if [ ! -x "$anvil" ] || [ contracts/package-lock.json -nt contracts/node_modules/.package-lock.json ]; then
    # --ignore-scripts: anvil's binary comes in its platform package; its postinstall would only try a download.
    (cd contracts && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null 2>&1) || {
      echo "install-deps: npm ci in contracts/ failed; run it by hand to see why" >&2; exit 1; }
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  install_npm_packages
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-deps: missing ${missing[*]}, and this is not a Debian-like system: install a Vulkan driver, loader and glslc yourself" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_npm_packages
