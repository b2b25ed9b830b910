#!/bin/bash
# Start a single-node cluster from the cached build, everything on loopback: etcd, containerd (its own
# instance beside Docker's), kube-apiserver, kube-controller-manager, kube-scheduler and the kubelet.
# State under $HM_K8S_RUN: pids/ (stop.sh stops by these), logs/, and admin.kubeconfig for clients.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/common.sh"
grep -q "169.254.169.254" "$BIN/kubelet" && { echo "error: $BIN/kubelet would dial the cloud metadata address: rebuild it" >&2; exit 1; }
for n in etcd containerd kube-apiserver kubelet; do
  [ -f "$RUN/pids/$n" ] && kill -0 "$(cat "$RUN/pids/$n")" 2>/dev/null \
    && { echo "error: a cluster is already running under $RUN ($n); stop it with stop.sh" >&2; exit 1; }
done
# A new cluster every time: no objects of an earlier one survive in etcd.
rm -rf "$RUN/etcd" "$RUN/logs"
mkdir -p "$RUN/conf/cni" "$RUN/logs" "$RUN/pids" "$(dirname "$SOCK")"
for f in containerd.toml kubelet.yaml cni/10-hm-bridge.conflist; do sed "s#HM_K8S_RUN#$RUN#g" "$HERE/conf/$f" >"$RUN/conf/$f"; done
t0=$(date +%s%N)
say() { echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms: $*"; }
start() { local n=$1; shift; "$@" >"$RUN/logs/$n.log" 2>&1 & echo $! >"$RUN/pids/$n"; }
waitfor() { local what=$1 tries=$2; shift 2
  for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && { say "$what ready"; return 0; }; sleep 0.2; done
  echo "error: timed out waiting for $what (logs: $RUN/logs)" >&2; return 1; }
"$HERE/pki.sh"
export KUBECONFIG=$PKI/admin.kubeconfig
start etcd etcd --name default --data-dir "$RUN/etcd" --listen-client-urls http://127.0.0.1:2379 \
  --advertise-client-urls http://127.0.0.1:2379 --listen-peer-urls http://127.0.0.1:2380 \
  --initial-advertise-peer-urls http://127.0.0.1:2380 --initial-cluster default=http://127.0.0.1:2380
start containerd containerd --config "$RUN/conf/containerd.toml"
waitfor etcd 300 curl -sf http://127.0.0.1:2379/health
start kube-apiserver "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 --bind-address=127.0.0.1 \
  --advertise-address=127.0.0.1 --secure-port=6443 \
  --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" --client-ca-file="$PKI/ca.crt" \
  --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority="$PKI/ca.crt" --kubelet-preferred-address-types=Hostname \
  --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --api-audiences=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range=10.96.0.0/16 --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
  --allow-privileged=true --endpoint-reconciler-type=none
waitfor containerd 300 ctr -a "$SOCK" version
for img in "$IMAGES/pause-image.tar" "$IMAGES/busybox-image.tar"; do
  ctr -a "$SOCK" -n k8s.io images import "$img" >/dev/null
done
say "images imported"
waitfor kube-apiserver 300 curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" https://127.0.0.1:6443/readyz
start kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$PKI/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$PKI/controller-manager.kubeconfig" --authorization-kubeconfig="$PKI/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --port=0 --secure-port=10257 --leader-elect=false \
  --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" --use-service-account-credentials=true \
  --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key"
start kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$PKI/scheduler.kubeconfig" \
  --authentication-kubeconfig="$PKI/scheduler.kubeconfig" --authorization-kubeconfig="$PKI/scheduler.kubeconfig" \
  --bind-address=127.0.0.1 --port=0 --secure-port=10259 --leader-elect=false
start kubelet "$BIN/kubelet" --config="$RUN/conf/kubelet.yaml" --kubeconfig="$PKI/kubelet.kubeconfig" \
  --container-runtime=remote --container-runtime-endpoint="unix://$SOCK" --image-service-endpoint="unix://$SOCK" \
  --hostname-override=localhost --root-dir="$RUN/kubelet" --cert-dir="$RUN/kubelet-pki" \
  --pod-infra-container-image=localhost/pause:3.2 --v=1
ready() { kubectl get node localhost -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' | grep -qx True; }
waitfor "node" 600 ready
waitfor "default service account" 600 kubectl get serviceaccount default -n default
say "cluster up; KUBECONFIG=$KUBECONFIG"
