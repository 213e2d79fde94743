#!/usr/bin/env bash
# Installs what RenderNet needs on Debian 12 beyond the .NET SDK: the Vulkan loader, Mesa's lavapipe (a CPU Vulkan
# driver, so everything runs without a GPU), the validation layers and glslc. Idempotent and quiet: it does nothing
# when everything is present.
set -euo pipefail

packages=(libvulkan1 mesa-vulkan-drivers vulkan-validationlayers glslc)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

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
