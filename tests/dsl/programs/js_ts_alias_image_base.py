"""hm.ts is hm.js; image= and base= place the chain."""

from __future__ import annotations

import harmont as hm

a = hm.ts.project(path="fixtures/js-npm", image="node:22")
b = hm.js.project(path="fixtures/js-pnpm", base=hm.apt_base(packages=("curl",)))
PIPELINE = hm.pipeline([a.run("build"), b.run("build", key="b-build", cache=hm.forever())])
