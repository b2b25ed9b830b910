#!/bin/bash
# Stop what start.sh started, by recorded PID, in reverse order; remove the pods' containers through
# containerd, unmount what the kubelet mounted, delete the bridge. Leaves the cached build alone.
. "$(dirname "$0")/common.sh"
pid() { [ -f "$RUN/pids/$1" ] && cat "$RUN/pids/$1"; }
for n in kubelet kube-scheduler kube-controller-manager; do p=$(pid $n) && kill "$p" 2>/dev/null; done
sleep 1
if [ -S "$SOCK" ]; then
  for t in $(ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$SOCK" -n k8s.io tasks kill -s KILL "$t" 2>/dev/null; done
  sleep 1
  for t in $(ctr -a "$SOCK" -n k8s.io tasks ls -q 2>/dev/null); do ctr -a "$SOCK" -n k8s.io tasks delete "$t" 2>/dev/null; done
  for c in $(ctr -a "$SOCK" -n k8s.io containers ls -q 2>/dev/null); do ctr -a "$SOCK" -n k8s.io containers delete "$c" 2>/dev/null; done
fi
for n in kube-apiserver containerd etcd; do p=$(pid $n) && kill "$p" 2>/dev/null; done
for _ in $(seq 50); do
  alive=0; for n in kube-apiserver containerd etcd; do p=$(pid $n) && kill -0 "$p" 2>/dev/null && alive=1; done
  [ $alive = 0 ] && break; sleep 0.3
done
for n in kubelet kube-scheduler kube-controller-manager kube-apiserver containerd etcd; do
  p=$(pid $n) && kill -0 "$p" 2>/dev/null && { echo "still running: $n, killed"; kill -9 "$p"; }
  rm -f "$RUN/pids/$n"
done
grep -E " ($RUN|/run/harmont-k8s|/run/netns/cni-)" /proc/mounts | awk '{print $2}' | sort -r | xargs -r -n1 umount -l 2>/dev/null
ip link del hmk8s0 2>/dev/null
rm -rf /var/lib/cni/networks/hm-test
for uid in $(ls "$RUN/kubelet/pods" 2>/dev/null); do rm -rf /var/log/pods/*_"$uid"; done
find /var/log/containers -xtype l -delete 2>/dev/null
for f in /var/run/netns/cni-*; do [ -e "$f" ] && ! grep -q " $f " /proc/mounts && rm -f "$f"; done
true
