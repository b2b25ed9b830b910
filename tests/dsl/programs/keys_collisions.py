"""Key derivation: shared label slugs fall back to hashes, explicit keys win and reserve slugs."""

from __future__ import annotations

import harmont as hm

# Two labels with the same slug: neither gets it.
a = hm.sh("make a", label="Build")
b = hm.sh("make b", label="build!")
# An explicit key takes the slug another step's label would have produced.
c = hm.sh("make c", label="Deploy")
d = hm.sh("make d", key="deploy")
# A step with an explicit key still claims its own label's slug against a peer.
e = hm.sh("make e", label="Package", key="pkg")
f = hm.sh("make f", label="package")
# Emoji codes, punctuation and non-ASCII letters become separators; an empty slug hashes.
g = hm.sh("make g", label=":rocket: Ship it -- NOW :tada:")
h = hm.sh("make h", label="Café Build")
i = hm.sh("make i", label="构建")
j = hm.sh("make j", label="")
# No label: the key is a hash of parent key, command and position.
k = hm.sh("make k")
m = k.sh("make m")

PIPELINE = hm.pipeline([a, b, c, d, e, f, g, h, i, j, m])
