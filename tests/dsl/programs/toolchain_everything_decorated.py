"""One decorated pipeline per helper, rendered in one envelope."""

from __future__ import annotations

import harmont as hm


@hm.pipeline("rust")
def rust() -> object:
    return hm.rust.project(path="fixtures/rust-workspace").ci()


@hm.pipeline("web", triggers=[hm.push(branch="main")])
def web() -> object:
    return hm.js.project(path="fixtures/js-yarn-berry").run("build")


@hm.pipeline("native")
def native() -> object:
    proj = hm.cmake(path="fixtures/cmake")
    return [proj.test(), proj.lint()]


@hm.pipeline("beam")
def beam() -> object:
    return hm.elixir(path="fixtures/elixir").test()


@hm.pipeline("gopher", env={"GOFLAGS": "-trimpath"})
def gopher() -> object:
    return hm.go(path="fixtures/go").test()


@hm.pipeline("zag", timeout="1h")
def zag() -> object:
    return hm.zig(path="fixtures/zig").test()
