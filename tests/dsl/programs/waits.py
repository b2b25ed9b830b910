"""Wait barriers become depends_on edges from the steps since the previous barrier."""

from __future__ import annotations

import harmont as hm

lint = hm.sh("make lint", label="lint")
unit = hm.sh("make unit", label="unit")
build = hm.sh("make build", label="build")
package = build.sh("make package", label="package")
deploy = package.sh("make deploy", label="deploy")
notify = hm.sh("make notify", label="notify")
after_two_waits = hm.sh("make tidy", label="tidy")
# A barrier in the middle of a chain is ordered like any ancestor.
gated = hm.wait().sh("make gated", label="gated")

PIPELINE = hm.pipeline(
    [
        lint,
        unit,
        hm.wait(),
        deploy,
        hm.wait(continue_on_failure=True),
        notify,
        hm.wait(),
        hm.wait(),
        after_two_waits,
        gated,
    ]
)
