"""
``hm.elixir``: Elixir projects with Erlang/OTP, Hex and Rebar, and the usual mix tasks.

The chain installs Erlang from the Erlang Solutions package, Elixir from its release zip
(both cached forever: their commands pin the versions), then fetches and compiles the mix
dependencies (cached on ``mix.lock``). Every mix step runs with ``ELIXIR_ERL_OPTIONS=+fnu``
so file names are read as UTF-8.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._dsl._cache import CacheForever, CacheOnChange
from harmont._dsl._step import Step
from harmont._dsl.toolchains._chain import (
    SHORTHAND_STEP_OPTIONS,
    Shorthand,
    check_version,
    install_chain,
    labelled,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["ElixirProject", "elixir"]

_PACKAGES = (
    "curl",
    "ca-certificates",
    "git",
    "unzip",
    "build-essential",
    "autoconf",
    "libncurses-dev",
    "libssl-dev",
)
_ENV: Final = {"ELIXIR_ERL_OPTIONS": "+fnu"}
#: What the one-call forms hand to the leaf: the step options and the tasks' own options
#: (all of them, whichever the task takes; ``mix`` takes the step options only).
_LEAF_OPTIONS = SHORTHAND_STEP_OPTIONS | {"cover", "partitions", "strict", "mix_env"}


def _with_env(options: Mapping[str, Any], label: str) -> dict[str, Any]:
    chosen = labelled(options, label)
    chosen["env"] = {**_ENV, **(chosen.get("env") or {})}
    return chosen


@attrs.frozen
class ElixirProject:
    """
    An Elixir project with its dependencies compiled (``.installed``); every task starts
    from there, dialyzer from a PLT built once per project.
    """

    path: str
    installed: Step
    _plt: list[Step] = attrs.field(factory=list, init=False, repr=False, eq=False)

    def _task(self, task: str, label: str, options: Mapping[str, Any]) -> Step:
        return self.installed.sh(f"cd {self.path} && {task}", **_with_env(options, label))

    def compile(self, **options: Any) -> Step:
        """``mix compile --warnings-as-errors``."""
        return self._task("mix compile --warnings-as-errors", ":ex: compile", options)

    def test(self, *, cover: bool = False, partitions: int | None = None, **options: Any) -> Step:
        """``mix test``, with ``--cover`` and ``--partitions N`` when asked."""
        task = "mix test" + (" --cover" if cover else "")
        task += f" --partitions {partitions}" if partitions is not None else ""
        return self._task(task, ":ex: test", options)

    def format(self, **options: Any) -> Step:
        """``mix format --check-formatted``."""
        return self._task("mix format --check-formatted", ":ex: format", options)

    def credo(self, *, strict: bool = True, **options: Any) -> Step:
        """``mix credo``, ``--strict`` unless ``strict=False``."""
        return self._task("mix credo" + (" --strict" if strict else ""), ":ex: credo", options)

    def plt(self) -> Step:
        """Dialyzer's PLT, cached on ``mix.lock``: one step per project, however often asked."""
        if not self._plt:
            self._plt.append(
                self.installed.sh(
                    f"cd {self.path} && mix dialyzer --plt",
                    label=":ex: plt",
                    cache=CacheOnChange(paths=(f"{self.path}/mix.lock",)),
                    env=_ENV,
                )
            )
        return self._plt[0]

    def dialyzer(self, **options: Any) -> Step:
        """``mix dialyzer``, after the project's PLT step."""
        return self.plt().sh(
            f"cd {self.path} && mix dialyzer", **_with_env(options, ":ex: dialyzer")
        )

    def sobelow(self, **options: Any) -> Step:
        """``mix sobelow --exit``: security findings fail the step."""
        return self._task("mix sobelow --exit", ":ex: sobelow", options)

    def deps_audit(self, **options: Any) -> Step:
        """``mix deps.audit``."""
        return self._task("mix deps.audit", ":ex: deps-audit", options)

    def hex_audit(self, **options: Any) -> Step:
        """``mix hex.audit``."""
        return self._task("mix hex.audit", ":ex: hex-audit", options)

    def release(self, *, mix_env: str = "prod", **options: Any) -> Step:
        """``mix release`` under ``MIX_ENV=prod`` (or ``mix_env``)."""
        return self._task(f"MIX_ENV={mix_env} mix release", ":ex: release", options)

    def mix(self, task: str, **options: Any) -> Step:
        """Any ``mix`` task, labelled after it."""
        return self._task(f"mix {task}", f":ex: {task}", options)


def _erlang(otp_version: str) -> str:
    return (
        "curl -fsSL https://binaries2.erlang-solutions.com/debian/pool/contrib/e/esl-erlang/"
        f"esl-erlang_{otp_version}-1~debian~bookworm_amd64.deb -o /tmp/erlang.deb && "
        "(dpkg -i /tmp/erlang.deb || apt-get install -fy) && "
        "erl -eval 'erlang:display(erlang:system_info(otp_release)), halt().' -noshell"
    )


def _elixir(elixir_version: str, otp_major: str) -> str:
    links = " && ".join(
        f"ln -sf /usr/local/elixir/bin/{tool} /usr/local/bin/{tool}"
        for tool in ("elixir", "mix", "iex")
    )
    return (
        "curl -fsSL https://github.com/elixir-lang/elixir/releases/download/"
        f"v{elixir_version}/elixir-otp-{otp_major}.zip -o /tmp/elixir.zip && "
        f"unzip -q /tmp/elixir.zip -d /usr/local/elixir && {links} && "
        "mix local.hex --force && mix local.rebar --force && elixir --version"
    )


class ElixirEntry:
    """``hm.elixir``: call it for a project; ``hm.elixir.test()`` and friends for one leaf."""

    def __call__(
        self,
        *,
        path: str = ".",
        elixir_version: str = "1.18.3",
        otp_version: str = "27.3.3",
        image: str | None = None,
        base: Step | None = None,
    ) -> ElixirProject:
        """
        Install Erlang/OTP and Elixir and compile the project's dependencies.

        :param path: the directory holding ``mix.exs``, relative to the repository root.
        :param elixir_version: an Elixir release, ``"1.18.3"``.
        :param otp_version: an OTP release, ``"27"`` to ``"27.3.3"``.
        :param image: the image the chain starts from (Debian bookworm packages).
        :param base: a step to install on instead of a fresh apt base.
        :raises ValueError: for a malformed version.
        """
        check_version("hm.elixir", "elixir_version", elixir_version, r"\d+\.\d+\.\d+", "'1.18.3'")
        check_version("hm.elixir", "otp_version", otp_version, r"\d+(\.\d+(\.\d+)?)?", "'27.3.3'")
        erlang = install_chain(
            tag="ex",
            packages=_PACKAGES,
            install=_erlang(otp_version),
            install_label="erlang-install",
            install_cache=CacheForever(env_keys=()),
            image=image,
            base=base,
        )
        installed = erlang.sh(
            _elixir(elixir_version, otp_version.split(".", maxsplit=1)[0]),
            label=":ex: elixir-install",
            cache=CacheForever(env_keys=()),
            env=_ENV,
        )
        dependencies = installed.sh(
            f"cd {path} && mix deps.get && mix deps.compile",
            label=":ex: mix-deps",
            cache=CacheOnChange(paths=(f"{path}/mix.lock",)),
            env=_ENV,
        )
        return ElixirProject(path=path, installed=dependencies)

    compile = Shorthand("compile", leaf_options=_LEAF_OPTIONS)
    test = Shorthand("test", leaf_options=_LEAF_OPTIONS)
    format = Shorthand("format", leaf_options=_LEAF_OPTIONS)
    credo = Shorthand("credo", leaf_options=_LEAF_OPTIONS)
    plt = Shorthand("plt", leaf_options=frozenset())
    dialyzer = Shorthand("dialyzer", leaf_options=_LEAF_OPTIONS)
    sobelow = Shorthand("sobelow", leaf_options=_LEAF_OPTIONS)
    deps_audit = Shorthand("deps_audit", leaf_options=_LEAF_OPTIONS)
    hex_audit = Shorthand("hex_audit", leaf_options=_LEAF_OPTIONS)
    release = Shorthand("release", leaf_options=_LEAF_OPTIONS)
    mix = Shorthand("mix")


elixir: Final = ElixirEntry()
