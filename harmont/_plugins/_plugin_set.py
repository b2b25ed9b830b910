"""
A plugin set: the TOML file `hm plugin freeze` writes and `hm plugin sync` installs.

TOML rather than a requirements file, because a set holds two kinds of thing that pip
knows only one of, and because people review it in a diff. The layout (README, "Keeping
a plugin set") is versioned by its ``format`` key and written in one order (tables by
name, keys in a fixed order), so freezing the same set twice gives the same bytes::

    format = 1

    [python.<distribution>]   # a distribution declaring `harmont.plugins` entry points
    version = "1.2.0"         # required
    sha256 = "<64 hex>"       # the wheel or archive installed, when it is known
    url = "<direct URL>"      # where pip installed it from, when not from an index
    editable = true           # an editable install of the directory at url

    [native.<plugin>]         # a library of ~/.harmont/plugins
    sha256 = "<64 hex>"       # required
    source = "<path or https URL>"  # where `hm plugin install` took it from

Reading is strict: an unknown key, a value of the wrong type or a format this hm does
not read is refused with the file, the line and the key, before anything is installed.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Final, TypeVar

import attrs

from harmont._errors import UsageError
from harmont._plugins._manifest import is_plugin_name
from harmont._settings import line_of

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

__all__ = [
    "FORMAT",
    "NativePin",
    "PluginSet",
    "PythonPin",
    "dump_plugin_set",
    "normalise_distribution",
    "read_plugin_set",
]

#: The layout this hm writes and reads; bumped whenever a reader of the old one would
#: misread a new file.
FORMAT: Final = 1

_SHA256: Final = re.compile(r"[0-9a-f]{64}")
#: A distribution name as PEP 508 allows it.
_DISTRIBUTION: Final = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")
_HOW_TO_WRITE: Final = "write the file with `hm plugin freeze -o FILE`"

#: What a set says where it cannot give a value, so that no reader takes it for an oversight.
_UNKNOWN: Final = {
    ("python", "sha256"): "# sha256 unknown: pip keeps no digest of what it installs from an index",
    ("native", "source"): "# source unknown: not installed by `hm plugin install`",
}

_Pin = TypeVar("_Pin", "PythonPin", "NativePin")


@attrs.frozen(kw_only=True)
class PythonPin:
    """One Python distribution of a set, as pip installed it."""

    #: Normalised (PEP 503): lower case, runs of ``-_.`` as one ``-``.
    name: str
    version: str
    #: Of the wheel or archive pip installed; None when nothing recorded it (an index).
    sha256: str | None = None
    #: The direct URL pip installed from (PEP 610); None for an index install.
    url: str | None = None
    editable: bool = False


@attrs.frozen(kw_only=True)
class NativePin:
    """One native library of ``~/.harmont/plugins``."""

    #: The plugin's name, which is also its file's name in the plugin directory.
    name: str
    sha256: str
    #: Where it was installed from; None when hm did not install it (copied by hand).
    source: str | None = None


@attrs.frozen(kw_only=True)
class PluginSet:
    """The installed third-party plugins of an environment, or those a file asks for."""

    python: tuple[PythonPin, ...] = ()
    native: tuple[NativePin, ...] = ()


def normalise_distribution(name: str) -> str:
    """A distribution name as pip compares them (PEP 503): ``Hm_Junit`` is ``hm-junit``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def dump_plugin_set(plugin_set: PluginSet) -> str:
    """The TOML text of ``plugin_set``, sorted; what is not known is said in a comment."""
    entries: list[tuple[str, str, list[tuple[str, str | bool | None]]]] = [
        ("python", pin.name, [("version", pin.version), ("sha256", pin.sha256),
                              ("url", pin.url), ("editable", pin.editable or None)])
        for pin in sorted(plugin_set.python, key=lambda p: p.name)
    ]  # fmt: skip
    entries += [
        ("native", pin.name, [("sha256", pin.sha256), ("source", pin.source)])
        for pin in sorted(plugin_set.native, key=lambda p: p.name)
    ]
    lines = [
        "# The plugins of an hm environment, written by `hm plugin freeze`.",
        "# Install them elsewhere with `hm plugin sync FILE`.",
        f"format = {FORMAT}",
    ]
    for kind, name, keys in entries:
        lines += ["", f"[{kind}.{_key(name)}]"]
        for key, value in keys:
            if value is None:
                lines += [comment] if (comment := _UNKNOWN.get((kind, key))) else []
            else:
                lines.append(f"{key} = {'true' if value is True else _string(str(value))}")
    return "\n".join(lines) + "\n"


def read_plugin_set(path: Path) -> PluginSet:
    """
    Read and check the plugin set file ``path``.

    :raises UsageError: a missing or unreadable file, bad TOML, a missing or unknown
        format, an unknown key or a bad value (naming the file, line and key).
    """
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"plugin set {path}: no such file", hint=_HOW_TO_WRITE) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"plugin set {path}: cannot read it: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}", hint=_HOW_TO_WRITE) from exc
    return _Reader(path, text).plugin_set(data)


@attrs.frozen
class _Reader:
    """Checks a parsed set against the layout, reporting each fault at its line."""

    path: Path
    text: str

    def fail(self, key: tuple[str, ...], problem: str, hint: str | None = None) -> UsageError:
        line = line_of(self.text, key)
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        return UsageError(f"{where}: {'.'.join(key)}: {problem}", hint=hint)

    def plugin_set(self, data: Mapping[str, object]) -> PluginSet:
        self.unknown_keys((), data, ("format", "python", "native"))
        if "format" not in data:
            raise UsageError(
                f"{self.path}: no 'format' key: this is not a plugin set",
                hint=f"a plugin set begins with `format = {FORMAT}`; {_HOW_TO_WRITE}",
            )
        version = data["format"]
        if not isinstance(version, int) or isinstance(version, bool) or version != FORMAT:
            raise self.fail(
                ("format",),
                f"format {version!r} is not one this hm reads (it reads {FORMAT})",
                hint="freeze the set again with this hm, or sync it with the hm that wrote it",
            )
        python = self.entries(data, "python", self.python_pin)
        native = self.entries(data, "native", self.native_pin)
        return PluginSet(python=tuple(python), native=tuple(native))

    def entries(
        self,
        data: Mapping[str, object],
        kind: str,
        read: Callable[[str, Mapping[str, object]], _Pin],
    ) -> list[_Pin]:
        table = data.get(kind, {})
        if not isinstance(table, dict):
            raise self.fail((kind,), f"must be a table of [{kind}.NAME] entries")
        pins = []
        for name, entry in table.items():
            if not isinstance(entry, dict):
                raise self.fail((kind, name), f"must be a table ([{kind}.{name}])")
            pins.append(read(name, entry))
        return pins

    def python_pin(self, name: str, entry: Mapping[str, object]) -> PythonPin:
        key = ("python", name)
        if not _DISTRIBUTION.fullmatch(name):
            raise self.fail(key, "not a distribution name")
        self.unknown_keys(key, entry, ("version", "sha256", "url", "editable"))
        editable = entry.get("editable", False)
        if not isinstance(editable, bool):
            raise self.fail((*key, "editable"), "must be true or false")
        url = self.string(key, entry, "url", required=False)
        if editable and url is None:
            raise self.fail(
                (*key, "editable"), "an editable install needs the url of its directory"
            )
        return PythonPin(
            name=normalise_distribution(name),
            version=str(self.string(key, entry, "version", required=True)),
            sha256=self.sha256(key, entry, required=False),
            url=url,
            editable=editable,
        )

    def native_pin(self, name: str, entry: Mapping[str, object]) -> NativePin:
        key = ("native", name)
        if not is_plugin_name(name):
            raise self.fail(key, "not a plugin name (letters, digits, '-' and '_')")
        self.unknown_keys(key, entry, ("sha256", "source"))
        return NativePin(
            name=name,
            sha256=str(self.sha256(key, entry, required=True)),
            source=self.string(key, entry, "source", required=False),
        )

    def sha256(
        self, key: tuple[str, ...], entry: Mapping[str, object], *, required: bool
    ) -> str | None:
        value = self.string(key, entry, "sha256", required=required)
        if value is not None and not _SHA256.fullmatch(value):
            raise self.fail(
                (*key, "sha256"), "must be 64 lower-case hexadecimal digits (a SHA-256)"
            )
        return value

    def string(
        self, key: tuple[str, ...], entry: Mapping[str, object], name: str, *, required: bool
    ) -> str | None:
        value = entry.get(name)
        if value is None:
            if required:
                raise self.fail(key, f"'{name}' is missing", hint=f'add {name} = "..."')
            return None
        if not isinstance(value, str) or not value:
            raise self.fail((*key, name), "must be a non-empty string")
        return value

    def unknown_keys(
        self, key: tuple[str, ...], entry: Mapping[str, object], known: tuple[str, ...]
    ) -> None:
        for name in entry:
            if name not in known:
                near = difflib.get_close_matches(name, known, n=1)
                hint = f"did you mean '{near[0]}'?" if near else f"known keys: {', '.join(known)}"
                raise self.fail((*key, name), "unknown key", hint=hint)


def _key(name: str) -> str:
    """``name`` as a TOML key: bare when it may be, quoted otherwise."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _string(name)


def _string(text: str) -> str:
    """``text`` as a TOML basic string (control characters escaped, as TOML requires)."""
    escaped = []
    for char in text:
        if char in '"\\':
            escaped.append(f"\\{char}")
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return f'"{"".join(escaped)}"'
