"""``hm.go``: Go modules, with the official release unpacked into ``/usr/local/go``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._dsl._cache import CacheForever
from harmont._dsl._step import Step
from harmont._dsl.toolchains._chain import Shorthand, check_version, install_chain, labelled

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["GoToolchain", "go"]


@attrs.frozen
class GoToolchain:
    """Go installed (``.installed``); ``build``, ``test``, ``vet`` and ``fmt`` run in ``path``."""

    path: str
    installed: Step

    def _action(self, command: str, label: str, options: Mapping[str, Any]) -> Step:
        return self.installed.sh(f"cd {self.path} && {command}", **labelled(options, label))

    def build(self, **options: Any) -> Step:
        """``go build ./...``."""
        return self._action("go build ./...", ":go: build", options)

    def test(self, **options: Any) -> Step:
        """``go test ./...``."""
        return self._action("go test ./...", ":go: test", options)

    def vet(self, **options: Any) -> Step:
        """``go vet ./...``."""
        return self._action("go vet ./...", ":go: vet", options)

    def fmt(self, **options: Any) -> Step:
        """Fail when ``gofmt -l`` lists a file it would change."""
        return self._action('test -z "$(gofmt -l .)"', ":go: fmt", options)


def _install(version: str) -> str:
    links = " && ".join(
        f"ln -sf /usr/local/go/bin/{tool} /usr/local/bin/{tool}" for tool in ("go", "gofmt")
    )
    return (
        f"curl -fsSL https://go.dev/dl/go{version}.linux-amd64.tar.gz -o /tmp/go.tgz && "
        f"rm -rf /usr/local/go && tar -C /usr/local -xzf /tmp/go.tgz && {links} && go version"
    )


class GoEntry:
    """``hm.go``: call it for a toolchain; ``hm.go.test()`` and friends for one leaf."""

    def __call__(
        self,
        *,
        path: str = ".",
        version: str = "1.23.2",
        image: str | None = None,
        base: Step | None = None,
    ) -> GoToolchain:
        """
        Install Go.

        :param path: the module directory (with ``go.mod``), relative to the repository root.
        :param version: a Go release, ``"1.23"`` or ``"1.23.2"``.
        :param image: the image the chain starts from.
        :param base: a step to install on instead of a fresh apt base.
        :raises ValueError: for a malformed version.
        """
        check_version("hm.go", "version", version, r"\d+\.\d+(\.\d+)?", "'1.23.2'")
        installed = install_chain(
            tag="go",
            packages=("curl", "ca-certificates", "git"),
            install=_install(version),
            install_label="install",
            install_cache=CacheForever(env_keys=()),
            image=image,
            base=base,
        )
        return GoToolchain(path=path, installed=installed)

    build = Shorthand("build")
    test = Shorthand("test")
    vet = Shorthand("vet")
    fmt = Shorthand("fmt")


go: Final = GoEntry()
