"""A chain of commands: labels, cwd, explicit keys, an explicit root image, env layering."""

from __future__ import annotations

import harmont as hm

checkout = hm.sh("git submodule update --init", label="Checkout", image="debian:12")
build = checkout.sh(
    "cargo build --release",
    cwd="crates/app",
    label="Build the app",
    env={"RUSTFLAGS": "-D warnings", "TERM": "xterm"},
)
test = build.sh("cargo test", key="unit-tests", env={"CI": "1"})
lint = hm.scratch().sh("ruff check .", label="Lint", cwd="py")

PIPELINE = hm.pipeline([test, lint], env={"CI": "true", "DEBIAN_FRONTEND": "readline"})
