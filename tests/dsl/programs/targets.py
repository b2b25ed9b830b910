"""Targets: Target[T] and BaseImage parameters, defaults, memoisation, name=, direct calls."""

from __future__ import annotations

from typing import Annotated

import harmont as hm
from harmont import Target


@hm.target()
def apt_base(base: Annotated[hm.Step, hm.BaseImage("ubuntu:22.04")]) -> hm.Step:
    return base.sh("apt-get update", label="apt", cache=hm.forever())


@hm.target(name="toolchain")
def install_rust(apt_base: Target[hm.Step], version: str = "1.80") -> hm.Step:
    return apt_base.sh(f"rustup toolchain install {version}", label="rust", cache=hm.forever())


@hm.target()
def tests(toolchain: hm.Target[hm.Step]) -> hm.Step:
    return toolchain.sh("cargo test", label="test")


@hm.target()
def clippy(toolchain: hm.Target[hm.Step], apt_base: hm.Target[hm.Step]) -> hm.Step:
    # Both parameters resolve to one memoised step each, so apt_base is emitted once.
    return toolchain.sh("cargo clippy", label="clippy")


@hm.target()
def docs() -> hm.Step:
    # The explicit-call form shares the memoised result too.
    return install_rust().sh("cargo doc", label="doc")


@hm.pipeline("rust")
def rust(
    tests: Target[hm.Step], clippy: Target[hm.Step], docs: Target[hm.Step]
) -> tuple[hm.Step, ...]:
    return (tests, clippy, docs)


@hm.pipeline("rust-again")
def rust_again(tests: Target[hm.Step], extra: str = "make extra") -> tuple[hm.Step, ...]:
    return (tests, tests.sh(extra))


@hm.pipeline("images")
def images(
    alpine: Annotated[hm.Step, hm.BaseImage("alpine:3.20")],
    debian: Annotated[hm.Step, hm.BaseImage("debian:12")],
) -> tuple[hm.Step, ...]:
    return (alpine.sh("apk add make").sh("make"), debian.fork().sh("true"))
