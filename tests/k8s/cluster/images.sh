#!/bin/bash
# The cluster can pull nothing: build its two images offline into $IMAGES as `docker save` tarballs.
# localhost/pause:3.2 is Kubernetes' own pause.c, linked statically; localhost/busybox:1.35 is busybox-static.
set -euo pipefail
. "$(dirname "$0")/common.sh"
hold_build_lock
[ -f "$IMAGES/pause-image.tar" ] && [ -f "$IMAGES/busybox-image.tar" ] && exit 0
PAUSE_C=$CACHE/build/kubernetes-$K8S_VERSION/build/pause/linux/pause.c
mkdir -p "$IMAGES"; cd "$IMAGES"
rm -rf pause-rootfs busybox-rootfs && mkdir -p pause-rootfs busybox-rootfs/{bin,etc,tmp,proc,sys,dev,root}
gcc -Os -static -DVERSION=v3.2-local -o pause-rootfs/pause "$PAUSE_C" && strip pause-rootfs/pause
cp /bin/busybox busybox-rootfs/bin/busybox
for a in $(busybox-rootfs/bin/busybox --list); do [ "$a" = busybox ] || ln -sf busybox "busybox-rootfs/bin/$a"; done
echo 'root:x:0:0:root:/root:/bin/sh' >busybox-rootfs/etc/passwd; echo 'root:x:0:' >busybox-rootfs/etc/group
tar -C pause-rootfs -cf - . | docker import --change 'ENTRYPOINT ["/pause"]' - localhost/pause:3.2 >/dev/null
tar -C busybox-rootfs -cf - . | docker import --change 'CMD ["sh"]' --change 'ENV PATH=/bin' - localhost/busybox:1.35 >/dev/null
docker save localhost/pause:3.2 -o pause-image.tar.tmp && mv pause-image.tar.tmp pause-image.tar
docker save localhost/busybox:1.35 -o busybox-image.tar.tmp && mv busybox-image.tar.tmp busybox-image.tar
rm -rf pause-rootfs busybox-rootfs
