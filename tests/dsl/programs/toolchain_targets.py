"""A target returning a toolchain project, shared by two pipelines and grouped."""

from __future__ import annotations

import harmont as hm


@hm.target()
def project() -> hm.RustProject:
    return hm.rust.project(path="fixtures/rust-workspace")


@hm.pipeline("checks")
def checks(project: hm.Target[hm.RustProject]) -> object:
    return hm.group(project.ci(nextest=True))


@hm.pipeline("release")
def release(project: hm.Target[hm.RustProject]) -> object:
    return (project.build(release=True), project)
