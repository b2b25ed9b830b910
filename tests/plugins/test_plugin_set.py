"""Plugin sets as library calls: the TOML layout, strict reading, freezing pip's records."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

import pytest

from harmont import PluginInfo, PluginStatus, UsageError
from harmont._plugins._freeze import freeze_plugins, plan_sync
from harmont._plugins._plugin_set import (
    NativePin,
    PluginSet,
    PythonPin,
    dump_plugin_set,
    read_plugin_set,
)

if TYPE_CHECKING:
    from pathlib import Path

    from tests.plugins.conftest import MakeDist

A: str = "a" * 64
B: str = "b" * 64
PIN: str = f'sha256 = "{A}"\n'
_HOW = "write the file with `hm plugin freeze -o FILE`"
_AGAIN = "freeze the set again with this hm, or sync it with the hm that wrote it"


def _python(name: str, dist: str, *, builtin: bool = False) -> PluginInfo:
    return PluginInfo(
        name=name,
        version="1.0.0",
        kind="python",
        status=PluginStatus.LOADED,
        source=f"m:p ({dist} 1.0.0)",
        builtin=builtin,
        distribution=dist,
    )


class TestLayout:
    def test_written_sorted_and_read_back(self, tmp_path: Path) -> None:
        """Whatever order the entries come in, the text is sorted and reads back equal."""
        pins = PluginSet(
            python=(
                PythonPin(name="zeta", version="2.0", url="git+https://x.org/z@abc"),
                PythonPin(name="alpha", version="1.0", sha256=A, url="https://x.org/a.whl"),
                PythonPin(name="mid", version="3", url="file:///src/mid", editable=True),
            ),
            native=(NativePin(name="web", sha256=B), NativePin(name="db", sha256=A, source="/x")),
        )
        path = tmp_path / "plugins.toml"
        path.write_text(dump_plugin_set(pins))
        reordered = PluginSet(python=pins.python[::-1], native=pins.native[::-1])

        read = read_plugin_set(path)

        assert path.read_text() == dump_plugin_set(reordered)
        assert (set(pins.python), set(pins.native)) == (set(read.python), set(read.native))
        assert path.read_text().index("[python.alpha]") < path.read_text().index("[python.mid]")

    def test_unknown_digests_and_sources_are_said_not_invented(self, tmp_path: Path) -> None:
        """An entry without a digest or source has none in the file, and a comment says so."""
        text = dump_plugin_set(
            PluginSet(
                python=(PythonPin(name="p", version="1"),), native=(NativePin(name="n", sha256=A),)
            )
        )

        assert 'format = 1\n\n[python.p]\nversion = "1"\n# sha256 unknown' in text
        assert "sha256 =" not in text.split("[native.n]")[0]
        assert "source =" not in text
        assert "# source unknown: not installed by `hm plugin install`" in text

    def test_strings_are_escaped_as_toml_wants(self, tmp_path: Path) -> None:
        """Quotes, backslashes and control characters in a URL survive the round trip."""
        url = 'file:///a "b"\\c\td\x7f'
        path = tmp_path / "plugins.toml"
        path.write_text(
            dump_plugin_set(PluginSet(python=(PythonPin(name="p", version="1", url=url),)))
        )

        assert url == read_plugin_set(path).python[0].url


class TestBadInput:
    @pytest.mark.parametrize(
        ("text", "message", "hint"),
        [
            ("format = 1\n[python.x\n",
             "{f}: not valid TOML: Expected ']' at the end of a table declaration "
             "(at line 2, column 10)", _HOW),
            (f"[native.n]\n{PIN}", "{f}: no 'format' key: this is not a plugin set",
             f"a plugin set begins with `format = 1`; {_HOW}"),
            ("format = 2\n", "{f}:1: format: format 2 is not one this hm reads (it reads 1)",
             _AGAIN),
            ("format = true\n", "{f}:1: format: format True is not one this hm reads (it reads 1)",
             _AGAIN),
            ("format = 1\nfromat = 1\n", "{f}:2: fromat: unknown key", "did you mean 'format'?"),
            ('format = 1\n\n[python.p]\nversion = "1"\nsha265 = "x"\n',
             "{f}:5: python.p.sha265: unknown key", "did you mean 'sha256'?"),
            (f"format = 1\n\n[python.p]\n{PIN}", "{f}:3: python.p: 'version' is missing",
             'add version = "..."'),
            ('format = 1\n\n[native.n]\nsha256 = "ABC"\n',
             "{f}:4: native.n.sha256: must be 64 lower-case hexadecimal digits (a SHA-256)", None),
            ("format = 1\n\n[python.p]\nversion = 1\n",
             "{f}:4: python.p.version: must be a non-empty string", None),
            ('format = 1\n\n[python.p]\nversion = "1"\neditable = true\n',
             "{f}:5: python.p.editable: an editable install needs the url of its directory", None),
            ("format = 1\n[python]\np = 3\n", "{f}:3: python.p: must be a table ([python.p])",
             None),
            (f'format = 1\n\n[native."a b"]\n{PIN}',
             "{f}:3: native.a b: not a plugin name (letters, digits, '-' and '_')", None),
        ],
        ids=["toml", "no-format", "format-2", "format-bool", "unknown-top", "unknown-entry-key",
             "no-version", "bad-sha", "version-type", "editable-no-url", "not-a-table", "bad-name"],
    )  # fmt: skip
    def test_one_line_naming_file_line_and_key(
        self, tmp_path: Path, text: str, message: str, hint: str | None
    ) -> None:
        """Each fault is one message at its file, line and key, and says how to fix it."""
        path = tmp_path / "plugins.toml"
        path.write_text(text)

        with pytest.raises(UsageError) as info:
            read_plugin_set(path)

        assert (message.format(f=path), hint) == (info.value.message, info.value.hint)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A set that is not there says how to make one."""
        with pytest.raises(UsageError) as info:
            read_plugin_set(tmp_path / "nope.toml")

        assert f"plugin set {tmp_path / 'nope.toml'}: no such file" == info.value.message


class TestFreezePython:
    """What pip recorded at install time (PEP 610's direct_url.json) is all a pin says."""

    @pytest.mark.parametrize(
        ("record", "expected"),
        [
            (None, {}),
            ({"url": "https://x.org/p.whl", "archive_info": {"hashes": {"sha256": A}}},
             {"sha256": A, "url": "https://x.org/p.whl"}),
            ({"url": "https://x.org/p.whl", "archive_info": {"hash": f"sha256={B}"}},
             {"sha256": B, "url": "https://x.org/p.whl"}),
            ({"url": "file:///nowhere/hm-tmp/p.whl", "archive_info": {"hashes": {"sha256": A}}},
             {"sha256": A}),
            ({"url": "https://x.org/p.whl", "archive_info": {}}, {"url": "https://x.org/p.whl"}),
            ({"url": "file:///src/p", "dir_info": {"editable": True}},
             {"url": "file:///src/p", "editable": True}),
            ({"url": "https://x.org/p.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
             {"url": "git+https://x.org/p.git@abc"}),
        ],
        ids=["index", "archive", "legacy-hash", "temporary-file", "no-digest", "editable", "vcs"],
    )  # fmt: skip
    def test_pins_come_from_pips_record(
        self, make_dist: MakeDist, site_dir: Path, record: dict[str, object] | None,
        expected: dict[str, object],
    ) -> None:  # fmt: skip
        """An index install has no digest; a wheel's is kept; a vanished file loses its URL."""
        make_dist("Hm_Thing", "plugin = None\n", version="1.2.0")
        if record is not None:
            (site_dir / "Hm_Thing-1.2.0.dist-info" / "direct_url.json").write_text(
                json.dumps(record)
            )

        frozen = freeze_plugins([_python("hm-thing", "Hm_Thing")], env={}, warn=print)

        assert (PythonPin(name="hm-thing", version="1.2.0", **expected),) == frozen.python  # type: ignore[arg-type]

    def test_builtins_are_not_part_of_the_set(self, make_dist: MakeDist) -> None:
        """harmont's own plugins are never frozen, whatever else is installed."""
        make_dist("hm-thing", "plugin = None\n")
        plugins = [_python("local", "harmont", builtin=True), _python("hm-thing", "hm-thing")]

        assert ("hm-thing",) == tuple(
            p.name for p in freeze_plugins(plugins, env={}, warn=print).python
        )


class TestCredentials:
    """A set is committed and shared: what may be a credential in a URL stays out of it."""

    _KEPT_OUT = "the set leaves out the user name and query string of {url}, which may hold "
    _HINT = "credentials; add back by hand what the download needs"

    def test_a_native_sources_query_and_user_are_left_out(self, tmp_path: Path) -> None:
        """A presigned URL's signature and a user:token never reach the set; a warning says so."""
        directory = tmp_path / ".harmont" / "plugins"
        directory.mkdir(parents=True)
        (directory / "web.so").write_bytes(b"web")
        (directory / "web.origin.json").write_text(
            json.dumps(
                {
                    "source": "https://me:tok@x.org/web.so?X-Amz-Signature=s3cret#frag",
                    "sha256": hashlib.sha256(b"web").hexdigest(),
                }
            )
        )
        info = PluginInfo(
            name="web",
            version="1",
            kind="native",
            status=PluginStatus.LOADED,
            source=str(directory / "web.so"),
        )
        warnings: list[str] = []

        frozen = freeze_plugins([info], env={"HOME": str(tmp_path)}, warn=warnings.append)

        assert "https://x.org/web.so#frag" == frozen.native[0].source
        assert [
            "native plugin 'web': "
            + self._KEPT_OUT.format(url="https://x.org/web.so#frag")
            + self._HINT
        ] == warnings

    def test_a_python_url_loses_its_query_and_a_path_is_kept(
        self, make_dist: MakeDist, site_dir: Path
    ) -> None:
        """pip keeps a URL's query in its record; freezing does not, and leaves files alone."""
        make_dist("hm-thing", "plugin = None\n")
        make_dist("hm-local", "plugin = None\n")
        for name, url in (
            ("hm_thing", "https://x.org/p.whl?token=s3cret"),
            ("hm_local", "file:///src/p?x"),
        ):
            (site_dir / f"{name}-1.0.0.dist-info" / "direct_url.json").write_text(
                json.dumps({"url": url, "dir_info": {}})
            )
        warnings: list[str] = []

        frozen = freeze_plugins(
            [_python("hm-local", "hm-local"), _python("hm-thing", "hm-thing")],
            env={},
            warn=warnings.append,
        )

        assert ["file:///src/p?x", "https://x.org/p.whl"] == [pin.url for pin in frozen.python]
        assert [
            "python distribution 'hm-thing': "
            + self._KEPT_OUT.format(url="https://x.org/p.whl")
            + self._HINT
        ] == warnings


class TestPlan:
    def test_exact_removes_what_the_set_lacks_but_never_builtins(
        self, make_dist: MakeDist, tmp_path: Path
    ) -> None:
        """--exact plans one removal per distribution not named; built-ins stay."""
        make_dist("kept", "plugin = None\n")
        make_dist("gone", "plugin = None\n")
        plugins = [
            _python("local", "harmont", builtin=True),
            _python("kept", "kept"),
            _python("gone", "gone"),
            _python("gone-too", "gone"),
        ]
        wanted = PluginSet(python=(PythonPin(name="kept", version="1.0.0"),))

        plan = plan_sync(tmp_path / "set.toml", wanted, plugins, env={}, exact=True)
        lenient = plan_sync(tmp_path / "set.toml", wanted, plugins, env={}, exact=False)

        assert ["remove python gone (plugins: gone, gone-too)"] == plan.describe()
        assert (("kept",), []) == (lenient.unchanged, lenient.describe())

    def test_exact_removes_every_library_the_set_lacks(self, tmp_path: Path) -> None:
        """Each native library of ~/.harmont/plugins not in the set is removed, by its path."""
        directory = tmp_path / ".harmont" / "plugins"
        directory.mkdir(parents=True)
        plugins = []
        for name in ("alpha", "beta", "kept"):
            (directory / f"{name}.so").write_bytes(name.encode())
            plugins.append(
                PluginInfo(
                    name=name,
                    version="1",
                    kind="native",
                    status=PluginStatus.LOADED,
                    source=str(directory / f"{name}.so"),
                )
            )
        wanted = PluginSet(
            native=(NativePin(name="kept", sha256=hashlib.sha256(b"kept").hexdigest()),)
        )

        plan = plan_sync(
            tmp_path / "set.toml", wanted, plugins, env={"HOME": str(tmp_path)}, exact=True
        )

        assert [
            f"remove native {directory / 'alpha.so'} (plugins: alpha)",
            f"remove native {directory / 'beta.so'} (plugins: beta)",
        ] == plan.describe()
        assert ("kept",) == plan.unchanged

    def test_a_different_version_or_digest_is_installed_again(
        self, make_dist: MakeDist, tmp_path: Path
    ) -> None:
        """An entry is left alone only when version and digest match what is installed."""
        make_dist("thing", "plugin = None\n", version="1.0.0")
        wanted = PluginSet(
            python=(PythonPin(name="thing", version="1.0.0", sha256=A, url="https://x.org/t.whl"),)
        )

        plan = plan_sync(
            tmp_path / "set.toml", wanted, [_python("thing", "thing")], env={}, exact=False
        )

        assert [f"install python thing 1.0.0 (sha256 {A[:12]}...)"] == plan.describe()

    def test_harmont_itself_is_refused(self, tmp_path: Path) -> None:
        """A set cannot ask sync to reinstall the harmont that runs it."""
        path = tmp_path / "set.toml"
        path.write_text('format = 1\n\n[python.harmont]\nversion = "0.1.0"\n')

        with pytest.raises(UsageError) as info:
            plan_sync(path, read_plugin_set(path), [], env={}, exact=False)

        assert f"{path}:4: python.harmont: harmont itself is not a plugin" == info.value.message
