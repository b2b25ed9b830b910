"""
``hm.cmake``: C and C++ projects built with CMake (Ninja, ccache, clang-format, clang-tidy).

``hm.cmake()`` installs the tools and returns a :class:`CMakeToolchain` that several projects
can share; ``hm.cmake(path=...)`` returns a :class:`CMakeProject` at once; ``hm.cmake.test()``
and the other shorthands make a whole chain for one leaf. A project configures and builds
once (``.built``, cached on ``CMakeLists.txt``) and its actions start from that build.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final, overload

import attrs

from harmont._dsl._cache import CacheForever, CacheOnChange
from harmont._dsl._step import Step
from harmont._dsl.toolchains._chain import Shorthand, install_chain, labelled

if TYPE_CHECKING:
    from collections.abc import Mapping

    from harmont._dsl._cache import CachePolicy

__all__ = ["CMakeProject", "CMakeToolchain", "cmake"]

_COMPILER = re.compile(r"(gcc|clang)(-\d+)?")
_GENERATORS: Final = {"ninja": "Ninja", "make": "Unix Makefiles"}
_EXTENSIONS = ("c", "h", "cpp", "hpp", "cc", "cxx")
_SOURCES = r"\( " + " -o ".join(f"-name '*.{extension}'" for extension in _EXTENSIONS) + r" \)"
_VCPKG = (
    "git clone https://github.com/microsoft/vcpkg.git /opt/vcpkg && "
    "/opt/vcpkg/bootstrap-vcpkg.sh && cd {path} && /opt/vcpkg/vcpkg install"
)


@attrs.frozen
class _Compiler:
    """A compiler family and its optional version suffix (``-14``), as Debian names them."""

    family: str
    suffix: str

    @classmethod
    def parse(cls, name: object) -> _Compiler | None:
        """:raises TypeError, ValueError: unless ``gcc`` or ``clang``, maybe with ``-N``."""
        if name is None:
            return None
        if not isinstance(name, str):
            raise TypeError(f"hm.cmake: compiler must be a string such as 'gcc-14', got {name!r}")
        match = _COMPILER.fullmatch(name)
        if match is None:
            raise ValueError(
                f"hm.cmake: unknown compiler {name!r}; use 'gcc', 'clang', or a versioned one "
                "such as 'gcc-14' or 'clang-18'"
            )
        return cls(family=match[1], suffix=match[2] or "")

    def packages(self) -> tuple[str, str]:
        if self.family == "gcc":
            return f"gcc{self.suffix}", f"g++{self.suffix}"
        return f"clang{self.suffix}", f"lld{self.suffix}"

    def drivers(self) -> tuple[str, str]:
        """The C and C++ compiler commands."""
        if self.family == "gcc":
            return f"gcc{self.suffix}", f"g++{self.suffix}"
        return f"clang{self.suffix}", f"clang++{self.suffix}"


@attrs.frozen
class CMakeToolchain:
    """
    CMake and its tools installed (``.installed``), for one or more projects.

    Made by ``hm.cmake()``; ``.project(path=...)`` adds a project's configure-and-build.
    """

    installed: Step
    compiler: str | None
    ccache: bool
    generator: str

    def project(
        self,
        *,
        path: str = ".",
        preset: str | None = None,
        defines: dict[str, str] | None = None,
        deps: str | None = None,
        target: str | None = None,
        cache: CachePolicy | None = None,
    ) -> CMakeProject:
        """
        Configure and build the project in ``path`` once, for its actions to share.

        :param preset: a CMake preset to configure with, instead of hm's flags.
        :param defines: ``-D`` definitions for the configure step.
        :param deps: ``"vcpkg"`` to install the manifest's dependencies first.
        :param target: build only this target.
        :param cache: the build's cache policy (default: on a change to ``CMakeLists.txt``,
            or to ``vcpkg.json`` with vcpkg).
        :raises ValueError: for a dependency manager other than vcpkg.
        """
        if deps not in (None, "vcpkg"):
            raise ValueError(f"hm.cmake: unknown deps {deps!r}; use deps='vcpkg' or leave it out")
        parent = self.installed
        if deps == "vcpkg":
            parent = parent.sh(
                _VCPKG.format(path=path),
                label=":cmake: vcpkg",
                cache=CacheOnChange(paths=("vcpkg.json",)),
            )
        if cache is None:
            watched = "vcpkg.json" if deps == "vcpkg" else _in(path, "CMakeLists.txt")
            cache = CacheOnChange(paths=(watched,))
        configure = self._configure(path, preset, defines)
        built = parent.sh(
            f"{configure} && {_build('build', target)}", label=":cmake: build", cache=cache
        )
        return CMakeProject(toolchain=self, built=built, path=path, target=target)

    def _configure(self, path: str, preset: str | None, defines: Mapping[str, str] | None) -> str:
        if preset is not None:
            return f"cd {path} && cmake --preset {preset}"
        words = [
            f"cd {path} && cmake -S . -B build",
            f"-G {_GENERATORS[self.generator]}",
            "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
        ]
        if self.ccache:
            words += ["-DCMAKE_C_COMPILER_LAUNCHER=ccache", "-DCMAKE_CXX_COMPILER_LAUNCHER=ccache"]
        compiler = _Compiler.parse(self.compiler)
        if compiler is not None:
            c, cxx = compiler.drivers()
            words += [f"-DCMAKE_C_COMPILER={c}", f"-DCMAKE_CXX_COMPILER={cxx}"]
        words += [f"-D{name}={value}" for name, value in (defines or {}).items()]
        return " ".join(words)


@attrs.frozen
class CMakeProject:
    """
    A CMake project configured and built once (``.built``); ``test``, ``install``, ``lint``
    and ``package`` start from that build, ``fmt`` from the bare install.
    """

    toolchain: CMakeToolchain
    built: Step
    path: str
    target: str | None = None

    def build(self) -> Step:
        """The configure-and-build step itself."""
        return self.built

    def test(self, *, parallel: bool = True, **options: Any) -> Step:
        """Rebuild what changed, then ``ctest`` (in parallel unless ``parallel=False``)."""
        jobs = " --parallel $(nproc)" if parallel else ""
        command = (
            f"{_build(f'{self.path}/build', self.target)} && "
            f"ctest --test-dir {self.path}/build --output-on-failure{jobs}"
        )
        return self.built.sh(command, **labelled(options, ":cmake: test"))

    def install(self, *, prefix: str | None = None, **options: Any) -> Step:
        """``cmake --install``, into ``prefix`` when given."""
        into = f" --prefix {prefix}" if prefix else ""
        command = f"cmake --install {self.path}/build{into}"
        return self.built.sh(command, **labelled(options, ":cmake: install"))

    def fmt(self, *, fix: bool = False, **options: Any) -> Step:
        """clang-format the C and C++ sources outside ``build/``: check, or fix (``fix=True``)."""
        mode = "-i" if fix else "--dry-run --Werror"
        sources = f"find . -not -path './build/*' {_SOURCES}"
        command = f"cd {self.path} && {sources} | xargs clang-format {mode}"
        return self.toolchain.installed.sh(command, **labelled(options, ":cmake: fmt"))

    def lint(self, **options: Any) -> Step:
        """``run-clang-tidy`` against the build's compile commands."""
        command = f"cd {self.path} && run-clang-tidy -p build"
        return self.built.sh(command, **labelled(options, ":cmake: lint"))

    def package(self, *, generator: str | None = None, **options: Any) -> Step:
        """``cpack``, with a CPack ``generator`` when given."""
        chosen = f" -G {generator}" if generator else ""
        command = f"cd {self.path}/build && cpack{chosen}"
        return self.built.sh(command, **labelled(options, ":cmake: package"))


def _in(path: str, name: str) -> str:
    return name if path == "." else f"{path}/{name}"


def _build(directory: str, target: str | None) -> str:
    only = f" --target {target}" if target is not None else ""
    return f"cmake --build {directory} --parallel $(nproc){only}"


def _toolchain(
    *,
    compiler: str | None = None,
    ccache: bool = True,
    generator: str = "ninja",
    image: str | None = None,
    base: Step | None = None,
) -> CMakeToolchain:
    if generator not in _GENERATORS:
        raise ValueError(f"hm.cmake: unknown generator {generator!r}; use 'ninja' or 'make'")
    parsed = _Compiler.parse(compiler)
    packages = ["cmake", "build-essential", "pkg-config"]
    checks = ["cmake --version"]
    if generator == "ninja":
        packages.append("ninja-build")
        checks.append("ninja --version")
    if ccache:
        packages.append("ccache")
        checks.append("ccache --version")
    packages += ["clang-format", "clang-tidy"]
    if parsed is not None:
        packages += parsed.packages()
        checks.append(f"{parsed.drivers()[0]} --version")
    installed = install_chain(
        tag="cmake",
        packages=tuple(packages),
        install=" && ".join(checks),
        install_label="verify",
        install_cache=CacheForever(env_keys=()),
        image=image,
        base=base,
    )
    return CMakeToolchain(
        installed=installed, compiler=compiler, ccache=ccache, generator=generator
    )


class CMakeEntry:
    """``hm.cmake``: call it for a toolchain (no ``path``) or a project; shorthands for one leaf."""

    @overload
    def __call__(
        self,
        *,
        compiler: str | None = ...,
        ccache: bool = ...,
        generator: str = ...,
        image: str | None = ...,
        base: Step | None = ...,
    ) -> CMakeToolchain: ...

    @overload
    def __call__(
        self,
        *,
        path: str,
        compiler: str | None = ...,
        ccache: bool = ...,
        generator: str = ...,
        preset: str | None = ...,
        defines: dict[str, str] | None = ...,
        deps: str | None = ...,
        target: str | None = ...,
        cache: CachePolicy | None = ...,
        image: str | None = ...,
        base: Step | None = ...,
    ) -> CMakeProject: ...

    def __call__(
        self,
        *,
        path: str | None = None,
        compiler: str | None = None,
        ccache: bool = True,
        generator: str = "ninja",
        preset: str | None = None,
        defines: dict[str, str] | None = None,
        deps: str | None = None,
        target: str | None = None,
        cache: CachePolicy | None = None,
        image: str | None = None,
        base: Step | None = None,
    ) -> CMakeToolchain | CMakeProject:
        """
        Install CMake and its tools; with ``path``, also configure and build that project.

        :param compiler: ``"gcc"``, ``"clang"`` or a versioned one (``"gcc-14"``); default
            the image's.
        :param ccache: compile through ccache.
        :param generator: ``"ninja"`` or ``"make"``.
        :param image: the image the chain starts from.
        :param base: a step to install on instead of a fresh apt base.
        :returns: a :class:`CMakeToolchain` without ``path`` (the project options are then
            unused), else a :class:`CMakeProject`, see :meth:`CMakeToolchain.project`.
        :raises ValueError: for an unknown compiler, generator or dependency manager.
        """
        toolchain = _toolchain(
            compiler=compiler, ccache=ccache, generator=generator, image=image, base=base
        )
        if path is None:
            return toolchain
        return toolchain.project(
            path=path, preset=preset, defines=defines, deps=deps, target=target, cache=cache
        )

    # The build step is the project's own: a one-call build has no leaf options to apply.
    build = Shorthand("build", defaults={"path": "."}, keep_leaf_options=False)
    test = Shorthand("test", defaults={"path": "."})
    fmt = Shorthand("fmt", defaults={"path": "."})
    lint = Shorthand("lint", defaults={"path": "."})
    install = Shorthand("install", defaults={"path": "."})
    package = Shorthand("package", defaults={"path": "."})


cmake: Final = CMakeEntry()
