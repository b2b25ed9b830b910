"""hm.go() and every action."""

from __future__ import annotations

import harmont as hm

tc = hm.go(path="fixtures/go")
PIPELINE = hm.pipeline([tc.build(), tc.test(), tc.vet(), tc.fmt()])
