"""Targets in a module without postponed annotations: markers are read the same way."""

import harmont as hm


@hm.target()
def base() -> hm.Step:
    return hm.sh("apt-get update", label="base")


@hm.pipeline("plain")
def plain(base: hm.Target[hm.Step], flavour: str = "debug") -> hm.Step:
    return base.sh(f"make {flavour}", label="make")
