# Shared by the cluster scripts: where the cached build lives and where a running cluster keeps its state.
# HM_K8S_CACHE: the build, cached outside the checkout and keyed by version (reused across runs and CI).
# HM_K8S_RUN: one running cluster's state (pids, logs, etcd, containerd root); one cluster per machine,
# since containerd's state directory is fixed.
K8S_VERSION=1.20.2
K8S_DEB_VERSION=1.20.5+really1.20.2-1.1+deb12u1
CACHE=${HM_K8S_CACHE:-/var/cache/harmont-k8s}/v$K8S_VERSION
BIN=$CACHE/bin
IMAGES=$CACHE/images
RUN=${HM_K8S_RUN:-/tmp/harmont-k8s}
SOCK=/run/harmont-k8s/containerd/containerd.sock
PKI=$RUN/pki

# One build at a time per cache: a second caller (another checkout, a test fixture) waits on the
# first and then finds its result, instead of compiling into the same files beside it.
hold_build_lock() { mkdir -p "$CACHE"; exec 9>"$CACHE/.build.lock"; flock 9; }
