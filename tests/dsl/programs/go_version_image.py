"""A two-part Go version on a given image."""

from __future__ import annotations

import harmont as hm

tc = hm.go(version="1.22", image="debian:12")
PIPELINE = hm.pipeline([tc.test(label="go test", env={"CGO_ENABLED": "0"})])
