"""The one-call forms of every Go action."""

from __future__ import annotations

import harmont as hm

PIPELINE = hm.pipeline(
    [
        hm.go.build(path="fixtures/go", version="1.21.5"),
        hm.go.test(label="unit"),
        hm.go.vet(cache=hm.forever(), image="golang:1.23"),
        hm.go.fmt(env={"GOFLAGS": "-mod=mod"}, path="fixtures/go"),
    ]
)
