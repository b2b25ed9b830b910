"""
Settings that outlive one command: config files and ``HM_*`` variables, merged in layers.

From lowest to highest: the user's ``$XDG_CONFIG_HOME/hm/config.toml``, the project's
``.harmont/plugins.toml`` (the older home of plugin settings), the project's
``.harmont/config.toml`` (or ``.hm/config.toml``), then ``HM_*`` variables; the command
line, which only the CLI sees, goes over all of them. Every value keeps its
:class:`Origin`, so `hm config show` can say where it came from and a bad one is reported
at its file and line.

This module knows no key of its own: callers pass the :class:`Field` objects they
understand (the CLI derives `hm run`'s from the command's parameters), so an option added
to a command is configurable without an edit here. The one field the host itself reads,
a native plugin's isolation, is :data:`PLUGIN_FIELDS`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from harmont._errors import SettingsError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "ISOLATIONS",
    "PLUGIN_FIELDS",
    "Field",
    "Origin",
    "Setting",
    "Settings",
    "config_files",
    "line_of",
    "load_settings",
    "one_of",
]

#: Where a native plugin's calls may run (see ``harmont._plugins._native``).
ISOLATIONS: Final = ("in-process", "process")

#: The project's config files, first found wins; ``.hm/`` is the newer Harmont's name.
_PROJECT_CONFIGS: Final = (Path(".harmont", "config.toml"), Path(".hm", "config.toml"))
_LEGACY_PLUGINS_CONFIG: Final = Path(".harmont", "plugins.toml")

Key = tuple[str, ...]


@attrs.frozen
class Origin:
    """Where a value came from: a file (and line), a variable, the command line, a default."""

    where: str
    line: int | None = None

    def __str__(self) -> str:
        return self.where if self.line is None else f"{self.where}:{self.line}"


@attrs.frozen
class Setting:
    """One effective value, its dotted key (``run.parallelism``) and its origin."""

    key: str
    value: object
    origin: Origin


@attrs.frozen
class Field:
    """
    A key callers understand: its dotted ``pattern`` (``*`` matches one part, as in
    ``plugins.*.isolation``), how to check and convert a raw value, and its variable.

    ``convert`` raises :class:`ValueError` with a message saying what was expected; it
    gets TOML values from files and strings from the environment.
    """

    pattern: str
    convert: Callable[[object], object]
    env: str | None = None

    @property
    def parts(self) -> Key:
        return tuple(self.pattern.split("."))

    def matches(self, key: Key) -> bool:
        return len(key) == len(self.parts) and all(
            mine in ("*", theirs) for mine, theirs in zip(self.parts, key, strict=True)
        )

    def instance(self, key: Key) -> str | None:
        """The pattern with its ``*`` filled in from ``key``, for a suggestion."""
        if len(key) != len(self.parts):
            return None
        return ".".join(k if p == "*" else p for p, k in zip(self.parts, key, strict=True))


def one_of(*choices: str) -> Callable[[object], object]:
    """A converter accepting exactly ``choices``."""

    def convert(value: object) -> object:
        if value in choices:
            return value
        raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")

    return convert


#: The settings the host reads for plugins: ``[plugins.NAME] isolation``.
PLUGIN_FIELDS: Final = (
    Field("plugins.*.isolation", one_of(*ISOLATIONS), env="HM_NATIVE_ISOLATION"),
)


@attrs.frozen
class Settings:
    """
    The merged, validated settings of one invocation.

    ``files`` holds the values from config files by key; ``environment`` the ones from
    variables by field pattern (``HM_NATIVE_ISOLATION`` is every plugin's). ``warnings``
    are the unknown keys, one line each, naming the nearest known key.
    """

    files: Mapping[Key, Setting]
    environment: Mapping[str, Setting]
    fields: tuple[Field, ...]
    warnings: tuple[str, ...]

    def get(self, key: str) -> Setting | None:
        """The effective value of ``key`` (a variable over a file), or None if unset."""
        parts = tuple(key.split("."))
        for field in self.fields:
            if field.matches(parts) and field.pattern in self.environment:
                return attrs.evolve(self.environment[field.pattern], key=key)
        return self.files.get(parts)

    def table(self, name: str) -> dict[str, Setting]:
        """The effective values under the table ``name``, by their key inside it."""
        prefix = tuple(name.split("."))
        names = {k[len(prefix)] for k in self.files if k[: len(prefix)] == prefix}
        names |= {
            f.parts[len(prefix)]
            for f in self.fields
            if f.pattern in self.environment and f.parts[: len(prefix)] == prefix
        }
        found = {n: self.get(".".join((*prefix, n))) for n in sorted(names)}
        return {n: s for n, s in found.items() if s is not None}

    def effective(self) -> list[Setting]:
        """Every value set somewhere, sorted by key; a variable over many keys shows once."""
        shown: dict[str, Setting] = {}
        for parts in self.files:
            setting = self.get(".".join(parts))
            if setting is not None:
                shown[setting.key] = setting
        for pattern, setting in self.environment.items():
            shown.setdefault(pattern, setting)
        return [shown[k] for k in sorted(shown)]


def config_files(project_root: Path, *, env: Mapping[str, str]) -> list[Path]:
    """The config files read, lowest first (whether or not they exist)."""
    config_home = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "~"), ".config"))
    files = [Path(config_home).expanduser() / "hm" / "config.toml"]
    files.append(project_root / _LEGACY_PLUGINS_CONFIG)
    project = [project_root / p for p in _PROJECT_CONFIGS]
    files.append(next((p for p in project if p.is_file()), project[0]))
    return files


def load_settings(
    fields: Iterable[Field], *, project_root: Path, env: Mapping[str, str]
) -> Settings:
    """
    Read every layer and check each value against ``fields``.

    :raises SettingsError: a config file that is not TOML, or a value its field refuses
        (the message names the file and line, or the variable, and the key).
    """
    known = tuple(fields)
    files: dict[Key, Setting] = {}
    warnings: list[str] = []
    for path in config_files(project_root, env=env):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read {path}: {exc}") from exc
        for key, raw in _leaves(_parse(path, text)):
            origin = Origin(str(path), line_of(text, key))
            field = next((f for f in known if f.matches(key)), None)
            if field is None:
                warnings.append(_unknown(key, origin, known))
                continue
            files[key] = Setting(".".join(key), _convert(field, raw, origin, key), origin)
    environment: dict[str, Setting] = {}
    for field in known:
        raw = env.get(field.env) if field.env else None
        if raw:
            origin = Origin(str(field.env))
            value = _convert(field, raw, origin, field.parts)
            environment[field.pattern] = Setting(field.pattern, value, origin)
    return Settings(files, environment, known, tuple(warnings))


def _parse(path: Path, text: str) -> dict[str, object]:
    import tomllib

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from exc


def _leaves(table: Mapping[str, object], prefix: Key = ()) -> Iterable[tuple[Key, object]]:
    """Each non-table value with its full key; arrays are values."""
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _leaves(value, (*prefix, name))
        else:
            yield (*prefix, name), value


def _convert(field: Field, raw: object, origin: Origin, key: Key) -> object:
    try:
        return field.convert(raw)
    except ValueError as exc:
        # A variable names its key already; a file's line needs the key beside it.
        label = str(origin) if origin.where == field.env else f"{origin}: {'.'.join(key)}"
        raise SettingsError(f"{label}: {exc}") from exc


def _unknown(key: Key, origin: Origin, known: Sequence[Field]) -> str:
    dotted = ".".join(key)
    candidates = [c for f in known if (c := f.instance(key)) is not None]
    candidates = candidates or [f.pattern for f in known]
    nearest = difflib.get_close_matches(dotted, candidates, n=1, cutoff=0.0)
    suggestion = f" (did you mean '{nearest[0]}'?)" if nearest else ""
    return f"{origin}: unknown setting '{dotted}'{suggestion}"


_HEADER = re.compile(r"^\[\[?\s*([^\]]+?)\s*\]\]?")
_ASSIGN = re.compile(
    r"""^((?:[\w-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[\w-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _split_key(text: str) -> Key:
    return tuple(part.strip().strip("\"'") for part in text.split("."))


def line_of(text: str, key: Key) -> int | None:
    """
    The line that sets ``key`` (or opens it, for a table), found by reading table headers
    and assignments.

    tomllib gives no positions; this is enough for what people write (tables, dotted
    keys, inline tables, which resolve to the line of their assignment).
    """
    table: Key = ()
    enclosing: int | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if header := _HEADER.match(stripped):
            table = _split_key(header.group(1))
            if table == key:
                return number
            continue
        if assign := _ASSIGN.match(stripped):
            full = table + _split_key(assign.group(1))
            if full == key:
                return number
            if enclosing is None and key[: len(full)] == full:
                enclosing = number
    return enclosing
