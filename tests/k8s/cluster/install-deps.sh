#!/bin/bash
# Debian packages the cluster needs (root): etcd, containerd and runc, the CNI plugins, static glibc for
# the pause image, busybox-static for the test image, and Debian's reflect2 for the build.
set -euo pipefail
need=()
for p in etcd-server containerd runc containernetworking-plugins libc6-dev gcc busybox-static openssl curl \
         python3-venv golang-github-modern-go-reflect2-dev iproute2; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
# kubectl (start.sh and the tests use it): Debian's kubernetes-client, unless one is installed.
command -v kubectl >/dev/null 2>&1 || need+=(kubernetes-client)
if [ ${#need[@]} -gt 0 ]; then
  apt-get install -y -q "${need[@]}" >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q "${need[@]}" >/dev/null; }
fi
