#!/usr/bin/env bash
# One-command setup on a fresh Debian/Ubuntu machine (Node >= 20.19 and npm >= 11 already present):
# system packages for media tests and e2e, npm packages (without the install steps that download
# binaries from outside npm), then a build of the app and the CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(ffmpeg espeak-ng chromium sox redis-server)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Electron's, ffmpeg-static's, libtensorflow's and onnxruntime's CUDA downloads are skipped
# (package.json allowScripts + these switches); the engine falls back to what npm itself ships.
export ELECTRON_SKIP_BINARY_DOWNLOAD=1 ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip
npm ci --no-audit --no-fund

npm run build
echo "setup: done. Try: npx fws doctor"
