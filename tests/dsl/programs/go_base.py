"""hm.go(base=...) with step options."""

from __future__ import annotations

import harmont as hm

tc = hm.go(path="fixtures/go", base=hm.apt_base(packages=("curl",)))
PIPELINE = hm.pipeline([tc.build(key="go-build"), tc.vet(cache=hm.forever())])
