"""
``hm.zig``: Zig from ziglang.org's release tarballs.

``hm.zig()`` returns a :class:`ZigToolchain` whose ``project(path)`` calls share one install;
``hm.zig(path=...)`` returns a :class:`ZigProject` at once; ``hm.zig.test()`` and friends make
a whole chain for one leaf.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final, overload

import attrs

from harmont._dsl._cache import CacheForever
from harmont._dsl._step import Step
from harmont._dsl.toolchains._chain import Shorthand, check_version, install_chain, labelled

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ZigProject", "ZigToolchain", "zig"]

#: The first release whose tarball is named ``zig-<arch>-<os>-<version>``, not ``zig-<os>-<arch>-``.
_ARCH_FIRST_NAMES = (0, 14, 1)


@attrs.frozen
class ZigProject:
    """A Zig project in ``path`` on an installed Zig, with ``build``, ``test`` and ``fmt``."""

    path: str
    installed: Step

    def _action(self, command: str, action: str, options: Mapping[str, Any]) -> Step:
        return self.installed.sh(
            f"cd {self.path} && {command}", **labelled(options, f":zig: {self.path} {action}")
        )

    def build(self, **options: Any) -> Step:
        """``zig build``."""
        return self._action("zig build", "build", options)

    def test(self, **options: Any) -> Step:
        """``zig build test``."""
        return self._action("zig build test", "test", options)

    def fmt(self, **options: Any) -> Step:
        """``zig fmt --check .``."""
        return self._action("zig fmt --check .", "fmt", options)


@attrs.frozen
class ZigToolchain:
    """An installed Zig (``.installed``) that several projects share."""

    version: str
    installed: Step

    def project(self, path: str = ".") -> ZigProject:
        """The project in ``path``, on this toolchain's install."""
        return ZigProject(path=path, installed=self.installed)


def _install(version: str) -> str:
    release = tuple(int(part) for part in version.split("."))
    platform = "x86_64-linux" if release >= _ARCH_FIRST_NAMES else "linux-x86_64"
    url = f"https://ziglang.org/download/{version}/zig-{platform}-{version}.tar.xz"
    return (
        f"curl -fsSL {url} -o /tmp/zig.tar.xz && "
        "rm -rf /usr/local/zig && mkdir -p /usr/local/zig && "
        "tar -xJf /tmp/zig.tar.xz -C /usr/local/zig --strip-components=1 && "
        "ln -sf /usr/local/zig/zig /usr/local/bin/zig && zig version"
    )


class ZigEntry:
    """``hm.zig``: call it for a toolchain (no ``path``) or a project; shorthands for one leaf."""

    @overload
    def __call__(
        self, *, version: str = ..., image: str | None = ..., base: Step | None = ...
    ) -> ZigToolchain: ...

    @overload
    def __call__(
        self, *, path: str, version: str = ..., image: str | None = ..., base: Step | None = ...
    ) -> ZigProject: ...

    def __call__(
        self,
        *,
        path: str | None = None,
        version: str = "0.14.1",
        image: str | None = None,
        base: Step | None = None,
    ) -> ZigToolchain | ZigProject:
        """
        Install Zig.

        :param path: the project directory; without it, a :class:`ZigToolchain` is returned.
        :param version: a Zig release, ``"0.14.1"``.
        :param image: the image the chain starts from.
        :param base: a step to install on instead of a fresh apt base.
        :returns: a :class:`ZigProject` with ``path``, else a :class:`ZigToolchain`.
        :raises ValueError: for a malformed version.
        """
        check_version("hm.zig", "version", version, r"\d+\.\d+\.\d+", "'0.14.1'")
        installed = install_chain(
            tag="zig",
            packages=("curl", "ca-certificates", "xz-utils"),
            install=_install(version),
            install_label="install",
            install_cache=CacheForever(env_keys=()),
            image=image,
            base=base,
        )
        toolchain = ZigToolchain(version=version, installed=installed)
        return toolchain if path is None else toolchain.project(path)

    build = Shorthand("build", defaults={"path": "."})
    test = Shorthand("test", defaults={"path": "."})
    fmt = Shorthand("fmt", defaults={"path": "."})


zig: Final = ZigEntry()
