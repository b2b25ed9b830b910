#!/bin/bash
# A throwaway PKI for one test cluster (openssl only), and a kubeconfig per component, under $PKI.
set -euo pipefail
. "$(dirname "$0")/common.sh"
mkdir -p "$PKI"; cd "$PKI"
[ -f admin.kubeconfig ] && exit 0
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=harmont-test-ca" 2>/dev/null
# cert NAME CN [O] [SANs]: a client certificate, or a server+client one when SANs are given.
cert() { local n=$1 cn=$2 o=${3:-} san=${4:-}
  openssl req -newkey rsa:2048 -nodes -keyout "$n.key" -out "$n.csr" -subj "/CN=$cn${o:+/O=$o}" 2>/dev/null
  if [ -n "$san" ]; then printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$n.ext"
  else printf 'extendedKeyUsage=clientAuth\n' >"$n.ext"; fi
  openssl x509 -req -in "$n.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$n.crt" -days 3650 -extfile "$n.ext" 2>/dev/null
  rm -f "$n.csr" "$n.ext"; }
cert apiserver kube-apiserver "" "IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
cert admin kubernetes-admin system:masters
cert controller-manager system:kube-controller-manager
cert scheduler system:kube-scheduler
cert kubelet system:node:localhost system:nodes
cert kubelet-server localhost "" "IP:127.0.0.1,DNS:localhost"
openssl genrsa -out sa.key 2048 2>/dev/null; openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
for n in admin controller-manager scheduler kubelet; do
  cat >"$n.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters: [{name: harmont-test, cluster: {server: "https://127.0.0.1:6443", certificate-authority: $PKI/ca.crt}}]
users: [{name: $n, user: {client-certificate: $PKI/$n.crt, client-key: $PKI/$n.key}}]
contexts: [{name: harmont-test, context: {cluster: harmont-test, user: $n}}]
current-context: harmont-test
KC
done
