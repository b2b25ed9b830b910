"""
``hm.rust``: Rust through rustup, and cargo actions with their options checked.

``hm.rust.toolchain()`` installs rustup's toolchain and hangs each action off that install.
``hm.rust.project()`` adds a warm-up build of the workspace and its tests, cached on the
lock file, manifests and sources, so the actions reuse its compiled dependencies.
"""

from __future__ import annotations

import abc
import shlex
from typing import TYPE_CHECKING, Any, Final

import attrs

from harmont._dsl._cache import CacheForever, CacheOnChange
from harmont._dsl._step import Step
from harmont._dsl.toolchains._chain import check_version, install_chain, labelled

if TYPE_CHECKING:
    from collections.abc import Mapping

    from harmont._dsl._cache import CachePolicy

__all__ = ["RustProject", "RustToolchain", "rust"]

_PACKAGES = ("curl", "ca-certificates", "build-essential", "pkg-config", "libssl-dev")
_COMPONENTS = ("clippy", "rustfmt")
_WARMUP = "cargo build --workspace --tests --locked"

#: The cargo options every action takes, with their defaults.
_SELECTION: Final[Mapping[str, Any]] = {
    "workspace": False,
    "packages": (),
    "exclude": (),
    "all_features": False,
    "no_default_features": False,
    "features": (),
    "target": None,
    "add_target": True,
    "locked": True,
    "flags": (),
}
_COMPILING: Final = {**_SELECTION, "all_targets": False, "release": False, "profile": None}
_TESTING: Final = {**_COMPILING, "nextest": False}
_LINTING: Final = {**_SELECTION, "all_targets": True, "deny_warnings": True, "extra_lints": ()}
_DOCUMENTING: Final = {
    **_SELECTION,
    "no_deps": True,
    "document_private_items": False,
    "deny_warnings": True,
}
_FORMATTING: Final[Mapping[str, Any]] = {"all": True, "check": True, "flags": ()}
_SWEEPING: Final[Mapping[str, Any]] = {
    "subcommand": "check",
    "depth": 2,
    "each_feature": False,
    "no_dev_deps": True,
    "skip": (),
    "include_features": (),
    "keep_going": False,
    "flags": (),
}


def _take(
    options: Mapping[str, Any], defaults: Mapping[str, Any], **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``options`` into (this action's options with defaults filled, step options)."""
    chosen = {**defaults, **overrides}
    chosen.update((name, value) for name, value in options.items() if name in defaults)
    rest = {name: value for name, value in options.items() if name not in defaults}
    return chosen, rest


def _check_selection(o: Mapping[str, Any]) -> None:
    """:raises ValueError: for options cargo would refuse together."""
    if o["all_features"] and (o["features"] or o["no_default_features"]):
        raise ValueError(
            "hm.rust: all_features=True already enables every feature; drop features= and "
            f"no_default_features= (got features={list(o['features'])!r}, "
            f"no_default_features={o['no_default_features']!r})"
        )
    if o.get("release") and o.get("profile") is not None:
        raise ValueError(
            f"hm.rust: release=True and profile={o['profile']!r} both pick a profile; "
            "keep one (release=True is profile='release')"
        )
    if o["exclude"] and o["packages"]:
        raise ValueError(
            f"hm.rust: exclude={list(o['exclude'])!r} cannot narrow "
            f"packages={list(o['packages'])!r}; list only the packages you want"
        )
    if o["exclude"] and not o["workspace"]:
        raise ValueError(
            f"hm.rust: exclude={list(o['exclude'])!r} needs workspace=True "
            "(cargo only excludes from --workspace)"
        )


def _cargo_arguments(o: Mapping[str, Any]) -> str:
    """The arguments after cargo's subcommand, with a leading space (or ``""`` for none)."""
    _check_selection(o)
    words: list[str] = []
    if o["packages"]:
        words += [f"-p {shlex.quote(name)}" for name in o["packages"]]
    elif o["workspace"]:
        words.append("--workspace")
        words += [f"--exclude {shlex.quote(name)}" for name in o["exclude"]]
    if o.get("all_targets"):
        words.append("--all-targets")
    if o["all_features"]:
        words.append("--all-features")
    else:
        if o["no_default_features"]:
            words.append("--no-default-features")
        if o["features"]:
            words.append("--features " + shlex.quote(",".join(o["features"])))
    if o["target"] is not None:
        words.append(f"--target {shlex.quote(o['target'])}")
    if o.get("profile") is not None:
        words.append(f"--profile {shlex.quote(o['profile'])}")
    elif o.get("release"):
        words.append("--release")
    if o["locked"]:
        words.append("--locked")
    words += list(o["flags"])
    return "".join(f" {word}" for word in words)


def _adding_target(command: str, o: Mapping[str, Any]) -> str:
    """A cross build first adds its target: actions start from the host-only install."""
    if o["target"] is None or not o["add_target"]:
        return command
    return f"rustup target add {shlex.quote(o['target'])} && {command}"


def _lints(o: Mapping[str, Any]) -> str:
    after = (["-D warnings"] if o["deny_warnings"] else []) + list(o["extra_lints"])
    return f" -- {' '.join(after)}" if after else ""


def _doc_options(o: Mapping[str, Any]) -> str:
    words = (["--no-deps"] if o["no_deps"] else []) + (
        ["--document-private-items"] if o["document_private_items"] else []
    )
    return "".join(f" {word}" for word in words)


def _doc_env(step_options: dict[str, Any], *, deny_warnings: bool) -> None:
    """Rustdoc warnings fail the step unless the caller set RUSTDOCFLAGS itself."""
    if deny_warnings:
        env = dict(step_options.get("env") or {})
        env.setdefault("RUSTDOCFLAGS", "-D warnings")
        step_options["env"] = env


def _hack_command(o: Mapping[str, Any]) -> str:
    words = ["cargo hack", o["subcommand"]]
    words += (
        ["--each-feature"]
        if o["each_feature"]
        else ["--feature-powerset", "--depth", str(o["depth"])]
    )
    if o["no_dev_deps"]:
        words.append("--no-dev-deps")
    if o["skip"]:
        words.append("--skip " + ",".join(shlex.quote(name) for name in o["skip"]))
    if o["include_features"]:
        words.append(
            "--include-features " + ",".join(shlex.quote(name) for name in o["include_features"])
        )
    if o["keep_going"]:
        words.append("--keep-going")
    return " ".join(words + list(o["flags"]))


class _CargoActions(abc.ABC):
    """The cargo actions, hung off :meth:`_parent` with the workspace default of the form."""

    _WORKSPACE: bool = False

    @abc.abstractmethod
    def _parent(self) -> Step:
        """The step the actions start from."""

    @abc.abstractmethod
    def _crate(self) -> str:
        """The crate or workspace directory."""

    def _in_crate(self, command: str) -> str:
        return f". $HOME/.cargo/env && cd {self._crate()} && {command}"

    def _action(self, command: str, label: str, step_options: Mapping[str, Any]) -> Step:
        return self._parent().sh(self._in_crate(command), **labelled(step_options, label))

    def build(self, **options: Any) -> Step:
        """
        ``cargo build``; ``target=`` cross-compiles, adding the rustup target first.

        Takes the cargo options (``workspace``, ``packages``, ``exclude``, ``features``,
        ``all_features``, ``no_default_features``, ``target``, ``add_target``, ``all_targets``,
        ``release``, ``profile``, ``locked``, ``flags``); other keywords go to ``Step.sh``.
        """
        o, rest = _take(options, _COMPILING, workspace=self._WORKSPACE)
        return self._action(
            _adding_target(f"cargo build{_cargo_arguments(o)}", o), ":rust: build", rest
        )

    def test(self, **options: Any) -> Step:
        """``cargo test``, or ``cargo nextest run`` with ``nextest=True`` (no doctests then)."""
        o, rest = _take(options, _TESTING, workspace=self._WORKSPACE)
        runner = "cargo nextest run" if o["nextest"] else "cargo test"
        return self._action(
            _adding_target(f"{runner}{_cargo_arguments(o)}", o), ":rust: test", rest
        )

    def doctest(self, **options: Any) -> Step:
        """``cargo test --doc``: the doctests that ``test(nextest=True)`` leaves out."""
        o, rest = _take(options, _SELECTION, workspace=self._WORKSPACE)
        command = f"cargo test{_cargo_arguments(o)} --doc"
        return self._action(_adding_target(command, o), ":rust: doctest", rest)

    def clippy(self, **options: Any) -> Step:
        """
        ``cargo clippy`` over all targets, warnings denied (``deny_warnings=False`` to allow);
        ``extra_lints=`` adds lint flags after ``--``.
        """
        o, rest = _take(options, _LINTING, workspace=self._WORKSPACE)
        command = f"cargo clippy{_cargo_arguments(o)}{_lints(o)}"
        return self._action(_adding_target(command, o), ":rust: clippy", rest)

    def doc(self, **options: Any) -> Step:
        """
        ``cargo doc --no-deps``, with ``RUSTDOCFLAGS=-D warnings`` unless
        ``deny_warnings=False``; ``document_private_items=True`` documents private items.
        """
        o, rest = _take(options, _DOCUMENTING, workspace=self._WORKSPACE)
        _doc_env(rest, deny_warnings=o["deny_warnings"])
        command = f"cargo doc{_doc_options(o)}{_cargo_arguments(o)}"
        return self._action(_adding_target(command, o), ":rust: doc", rest)


@attrs.frozen
class RustToolchain(_CargoActions):
    """
    A rustup install (``.installed``) with cargo actions chained straight off it.

    Made by ``hm.rust.toolchain()``; use ``hm.rust.project()`` for actions that share a
    warm build instead.
    """

    path: str
    installed: Step

    def _parent(self) -> Step:
        return self.installed

    def _crate(self) -> str:
        return self.path

    def fmt(self, **options: Any) -> Step:
        """``cargo fmt --all --check``; ``all=False`` or ``check=False`` drop those flags."""
        o, rest = _take(options, _FORMATTING)
        words = (
            ["cargo fmt"] + (["--all"] if o["all"] else []) + (["--check"] if o["check"] else [])
        )
        return self._action(" ".join(words + list(o["flags"])), ":rust: fmt", rest)

    def warmup(self, **options: Any) -> Step:
        """Build the workspace and its tests once, for later steps to reuse."""
        return self._action(_WARMUP, ":rust: warmup", options)

    def feature_powerset(self, **options: Any) -> Step:
        """
        A cargo-hack sweep over feature combinations (``--feature-powerset --depth 2
        --no-dev-deps`` by default; ``each_feature=True`` for one feature at a time).

        cargo-hack is installed in a step of its own, cached forever and independent of the
        crate's path, so every toolchain shares it.
        """
        o, rest = _take(options, _SWEEPING)
        with_hack = self.installed.sh(
            ". $HOME/.cargo/env && cargo install cargo-hack --locked",
            label=":rust: install cargo-hack",
            cache=CacheForever(env_keys=()),
        )
        return with_hack.sh(
            self._in_crate(_hack_command(o)), **labelled(rest, ":rust: feature-powerset")
        )


@attrs.frozen
class RustProject(_CargoActions):
    """
    A Rust workspace's CI: the toolchain, plus a cached warm build (``.warmup``) that
    ``build``, ``test``, ``doctest``, ``clippy`` and ``doc`` start from (workspace-wide by
    default). ``fmt`` needs no build, so it starts from the install and runs alongside.
    """

    toolchain: RustToolchain
    warmup: Step
    _WORKSPACE = True

    def _crate(self) -> str:
        return self.toolchain.path

    def _parent(self) -> Step:
        return self.warmup

    def fmt(self, **options: Any) -> Step:
        """``cargo fmt --all --check``, from the install rather than the warm build."""
        return self.toolchain.fmt(**options)

    def feature_powerset(self, **options: Any) -> Step:
        """A cargo-hack sweep, see :meth:`RustToolchain.feature_powerset`."""
        return self.toolchain.feature_powerset(**options)

    def ci(self, *, nextest: bool = False, doc: bool = False) -> tuple[Step, ...]:
        """
        The usual leaves: test, clippy and fmt; with ``nextest=True`` tests run under
        nextest plus a doctest step, and ``doc=True`` adds a doc build.
        """
        leaves = [self.test(nextest=nextest)]
        if nextest:
            leaves.append(self.doctest())
        leaves += [self.clippy(), self.fmt()]
        if doc:
            leaves.append(self.doc())
        return tuple(leaves)


def _rustup(version: str, components: tuple[str, ...]) -> str:
    return (
        "curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | "
        f"sh -s -- -y --default-toolchain {version} --profile minimal "
        f"--component {','.join(components)} && . $HOME/.cargo/env && "
        "rustc --version && cargo --version"
    )


def _under(path: str, pattern: str) -> str:
    return pattern if path == "." else f"{path}/{pattern}"


class RustEntry:
    """``hm.rust``: ``toolchain()`` for actions off the install, ``project()`` to share a build."""

    @staticmethod
    def toolchain(
        *,
        path: str = ".",
        version: str = "stable",
        image: str | None = None,
        components: tuple[str, ...] = _COMPONENTS,
        base: Step | None = None,
    ) -> RustToolchain:
        """
        Install Rust with rustup.

        :param path: the crate or workspace directory, relative to the repository root.
        :param version: a channel (``"stable"``, ``"nightly"``) or a release (``"1.81.0"``).
        :param image: the image the chain starts from.
        :param components: rustup components to install.
        :param base: a step to install on instead of a fresh apt base (``hm.apt_base``).
        :raises ValueError: for a version that is neither.
        """
        check_version("hm.rust", "version", version, r"[a-z0-9.-]+", "'stable' or '1.81.0'")
        installed = install_chain(
            tag="rust",
            packages=_PACKAGES,
            install=_rustup(version, components),
            install_label="rustup",
            install_cache=CacheForever(env_keys=()),
            image=image,
            base=base,
        )
        return RustToolchain(path=path, installed=installed)

    @staticmethod
    def project(
        *,
        path: str = ".",
        version: str = "stable",
        image: str | None = None,
        components: tuple[str, ...] = _COMPONENTS,
        base: Step | None = None,
        cache: CachePolicy | None = None,
    ) -> RustProject:
        """
        Install Rust and warm a build of the workspace for the actions to share.

        Takes :meth:`toolchain`'s options, and ``cache=`` for the warm build (default: on a
        change to ``Cargo.lock``, any ``Cargo.toml`` or any ``.rs`` file under ``path``).
        """
        toolchain = RustEntry.toolchain(
            path=path, version=version, image=image, components=components, base=base
        )
        policy = (
            cache
            if cache is not None
            else CacheOnChange(
                paths=(
                    _under(path, "Cargo.lock"),
                    _under(path, "**/Cargo.toml"),
                    _under(path, "**/*.rs"),
                )
            )
        )
        return RustProject(toolchain=toolchain, warmup=toolchain.warmup(cache=policy))


rust: Final = RustEntry()
