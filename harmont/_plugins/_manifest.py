"""
Static validation of one plugin's manifest, before it meets any other plugin (docs/protocol.md).

Checks run in a fixed order and the first failure wins, so an author fixes one problem
at a time: the type, ``api_version`` (first, so a plugin built for another protocol says
so instead of tripping over a field it has never heard of), the name, the version, then
each capability. Conflicts *between* plugins are the registry's business (``_manager.py``).

A plugin's name becomes a file name (`hm plugin install` names the library for it, its
keys live in ``<name>.sqlite``), a logger name and words on the terminal, so it must be a
plain word (:func:`is_plugin_name`); a name that is not one is only ever shown escaped
(:func:`shown_name`).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Final, NoReturn

from harmont._errors import PluginLoadError
from harmont.protocol import (
    API_VERSION,
    FlagArg,
    LifecycleHookSpec,
    OptionArg,
    PluginManifest,
    PositionalArg,
    PositionalListArg,
    StepExecutorSpec,
    SubcommandSpec,
)
from harmont.protocol._scalars import is_semver

if TYPE_CHECKING:
    from collections.abc import Iterable

    from harmont.protocol import ArgSpec

__all__ = ["MAX_NAME_LENGTH", "is_plugin_name", "shown_name", "validate_manifest"]

_MANIFEST_DOC = "see https://harmont.dev/docs/plugins/manifest"

#: The longest plugin name: room for any real name, short enough for a file name.
MAX_NAME_LENGTH: Final = 64
#: ASCII letters and digits, then also ``-`` and ``_``: no dots, slashes, spaces or
#: control characters, nothing a terminal or a file system reads as more than a word.
_PLAIN_WORD: Final = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_-]{{0,{MAX_NAME_LENGTH - 1}}}")


def is_plugin_name(text: object) -> bool:
    """Whether *text* may name a plugin: a plain word of at most :data:`MAX_NAME_LENGTH`."""
    return isinstance(text, str) and _PLAIN_WORD.fullmatch(text) is not None


def shown_name(text: object) -> str:
    """*text* as it may be printed: unchanged if it is a plugin name, else escaped to ASCII."""
    if isinstance(text, str) and is_plugin_name(text):
        return text
    return str(text).encode("unicode_escape").decode("ascii")[: MAX_NAME_LENGTH * 4]


def validate_manifest(manifest: object, *, name: str, source: str) -> PluginManifest:
    """
    Return ``manifest`` if it is a valid manifest for the plugin called ``name``.

    ``name`` is what discovery calls the plugin (its entry-point name); the manifest must
    carry the same one, so ``-p no:NAME``, `hm plugin list` and error messages agree.

    :raises PluginLoadError: naming the plugin, what was expected and what came.
    """
    if not isinstance(manifest, PluginManifest):
        _fail(
            name,
            source,
            f"hm_plugin_manifest returned {type(manifest).__name__}, expected PluginManifest",
        )
    if manifest.api_version != API_VERSION:
        _fail(
            name,
            source,
            f"api_version mismatch (plugin: {manifest.api_version}, host: {API_VERSION})",
            hint=f"install a release of the plugin built for plugin API {API_VERSION}",
        )
    if not is_plugin_name(manifest.name):
        _fail(
            name,
            source,
            f"name '{shown_name(manifest.name)}' is not a plain word (ASCII letters, digits, "
            f"'-' and '_', starting with a letter or digit, at most {MAX_NAME_LENGTH})",
        )
    if manifest.name != name:
        _fail(
            name,
            source,
            f"manifest name '{manifest.name}' differs from its entry-point name "
            f"'{shown_name(name)}'",
        )
    if not is_semver(manifest.version):
        _fail(name, source, f"version '{manifest.version}' is not a semantic version (x.y.z)")
    if not manifest.capabilities:
        _fail(name, source, "declared no capabilities")
    try:
        _check_capabilities(manifest)
    except ValueError as exc:
        _fail(name, source, str(exc))
    return manifest


def _fail(name: str, source: str, reason: str, *, hint: str = _MANIFEST_DOC) -> NoReturn:
    shown = shown_name(name)
    raise PluginLoadError(f"plugin '{shown}': {reason}", plugin=shown, source=source, hint=hint)


def _check_capabilities(manifest: PluginManifest) -> None:
    runners: set[str] = set()
    defaults: list[str] = []
    verbs: set[str] = set()
    for capability in manifest.capabilities:
        if isinstance(capability, StepExecutorSpec):
            runner = capability.runner
            if not _is_word(runner):
                raise ValueError(f"StepExecutorSpec.runner '{runner}' is empty or has whitespace")
            if runner in runners:
                raise ValueError(f"declared the same runner twice ('{runner}')")
            runners.add(runner)
            if capability.default:
                defaults.append(runner)
        elif isinstance(capability, SubcommandSpec):
            if capability.verb in verbs:
                raise ValueError(f"declared the same subcommand verb twice ('{capability.verb}')")
            verbs.add(capability.verb)
            _check_subcommand(capability, path=())
        elif isinstance(capability, LifecycleHookSpec):
            if not capability.events:
                raise ValueError("LifecycleHookSpec.events is empty: the hook would never run")
            if capability.timeout_ms <= 0:
                raise ValueError("LifecycleHookSpec.timeout_ms must be positive")
        else:
            raise ValueError(f"unknown capability type {type(capability).__name__}")
    if len(defaults) > 1:
        raise ValueError(f"declared more than one default runner ({', '.join(defaults)})")


def _check_subcommand(spec: SubcommandSpec, *, path: tuple[str, ...]) -> None:
    where = " ".join((*path, spec.verb))
    if not _is_word(spec.verb) or spec.verb.startswith("-"):
        raise ValueError(f"subcommand verb '{where}' is empty, has whitespace or starts with '-'")
    _check_args(spec.args, where=where)
    _check_positional_list(spec, where=where)
    seen: set[str] = set()
    for child in spec.subcommands:
        if child.verb in seen:
            raise ValueError(f"subcommand '{where}' declares '{child.verb}' twice")
        seen.add(child.verb)
        _check_subcommand(child, path=(*path, spec.verb))


def _check_args(args: Iterable[ArgSpec], *, where: str) -> None:
    names: set[str] = set()
    shorts: set[str] = {"h"}
    for arg in args:
        name = arg.name if isinstance(arg, PositionalArg | PositionalListArg) else arg.long
        if not _is_word(name) or name.startswith("-"):
            raise ValueError(f"subcommand '{where}': argument name '{name}' is not a plain word")
        if name == "help":
            raise ValueError(f"subcommand '{where}': argument name 'help' is reserved")
        if name in names:
            raise ValueError(f"subcommand '{where}': argument '{name}' is declared twice")
        names.add(name)
        if isinstance(arg, OptionArg | FlagArg) and arg.short is not None:
            if arg.short in shorts:
                raise ValueError(f"subcommand '{where}': short option '-{arg.short}' is taken")
            shorts.add(arg.short)


def _check_positional_list(spec: SubcommandSpec, *, where: str) -> None:
    """A positional list takes every remaining word: it must be the verb's last positional."""
    positionals = [a for a in spec.args if isinstance(a, PositionalArg | PositionalListArg)]
    lists = [i for i, a in enumerate(positionals) if isinstance(a, PositionalListArg)]
    if not lists:
        return
    if lists != [len(positionals) - 1]:
        raise ValueError(
            f"subcommand '{where}': a positional list must be the last positional argument"
        )
    if spec.subcommands:
        raise ValueError(
            f"subcommand '{where}': a positional list would take its subcommands' words"
        )


def _is_word(text: str) -> bool:
    return bool(text) and not any(ch.isspace() for ch in text)
