#!/usr/bin/env bash
# Installs the Debian packages some tests need: bubblewrap (code sandbox),
# chromium (browser tests of the annotation widgets) and openmpi-bin (mpirun, which
# `accelerate launch --cpu --num_processes N` uses to start N CPU processes). Tests that need a missing
# one skip with a message, so a machine without root still passes `make test`.
set -u
need=()
command -v bwrap >/dev/null 2>&1 || need+=(bubblewrap)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: not root or no apt-get; missing ${need[*]} (their tests will skip)"
  exit 0
fi
echo "system-deps: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq "${need[@]}" >/dev/null \
  || echo "system-deps: apt-get failed for ${need[*]} (their tests will skip)"
exit 0
