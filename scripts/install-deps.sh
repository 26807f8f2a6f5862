#!/usr/bin/env bash
# Installs the build and test dependencies from Debian 12's archive (as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
pkgs=(build-essential cmake ninja-build pkg-config git
      libfmt-dev nlohmann-json3-dev libcurl4-openssl-dev libcpp-httplib-dev
      libgtest-dev libgmock-dev libbenchmark-dev
      python3 python3-dev python3-venv python3-pip python3-pytest python3-numpy
      clang libclang-rt-dev hyperfine strace ccache qemu-user-static unzip
      prometheus tmux
      gfortran libcairo2-dev fonts-dejavu-core fontconfig poppler-utils chromium python3-pil
      openmpi-bin libopenmpi-dev slurmctld slurmd slurm-client munge
      debootstrap)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
