"""
`hm plugin freeze` and `hm plugin sync` as a user runs them, between fresh environments.

Every environment is a venv of its own that sees this checkout (pip installs into it
alone); pip takes wheels built here from a find-links directory and never an index, and
the native plugin is the C example built by the session's fixture.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

from tests.plugins.conftest import build_wheel, make_light_venv
from tests.run.rig import TIMEOUT_SECONDS, hm_environment

if TYPE_CHECKING:
    from tests.native_support import Built

#: The C example's manifest name, and so its file name once installed.
_NATIVE = "hm-c-hello"


@attrs.frozen
class Machine:
    """A home directory, a wheel directory standing in for an index, and hm in some venv."""

    root: Path
    env: dict[str, str]
    wheels: Path

    @property
    def plugin_dir(self) -> Path:
        return self.root / "home" / ".harmont" / "plugins"

    def venv(self, name: str) -> Path:
        """A fresh venv's interpreter."""
        return make_light_venv(self.root / name) / "bin" / "python"

    def hm(self, python: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(python), "-m", "harmont_cli", *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS * 4,
            check=False,
        )

    def ok(self, python: Path | str, *args: str) -> subprocess.CompletedProcess[str]:
        done = self.hm(python, *args)
        assert 0 == done.returncode, done.stderr
        return done

    def listing(self, python: Path) -> list[dict[str, object]]:
        listed: list[dict[str, object]] = json.loads(
            self.ok(python, "plugin", "list", "--format", "json").stdout
        )
        return listed

    def distributions(self, python: Path) -> str:
        return subprocess.run(
            [str(python), "-m", "pip", "list", "--format", "freeze"],
            capture_output=True,
            text=True,
            check=True,
            env=self.env,
        ).stdout


@pytest.fixture
def machine(tmp_path: Path, native: Built) -> Machine:
    """A private home, two plugin wheels in a find-links directory, the C example's library."""
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    build_wheel(wheels, "hm-pinned", version="1.0.0")
    build_wheel(wheels, "hm-indexed", version="2.1.0")
    (tmp_path / "home").mkdir()
    shutil.copyfile(native.path("hm_c_hello"), tmp_path / "libhm_c_hello.so")
    env = hm_environment(tmp_path / "home")
    env.update(
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        NO_COLOR="1",
    )
    return Machine(root=tmp_path, env=env, wheels=wheels)


def _install_set(machine: Machine, python: Path) -> None:
    """A wheel by path (pip records its digest), one by name (no digest), a native library."""
    machine.ok(
        python, "plugin", "install", str(machine.wheels / "hm_pinned-1.0.0-py3-none-any.whl")
    )
    machine.ok(python, "plugin", "install", "hm-indexed")
    machine.ok(python, "plugin", "install", str(machine.root / "libhm_c_hello.so"))


@pytest.mark.slow
class TestRoundTrip:
    def test_a_fresh_environment_synced_lists_the_same_plugins(self, machine: Machine) -> None:
        """freeze, a fresh venv and home, sync: `hm plugin list` is identical, and so is the set."""
        first = machine.venv("first")
        _install_set(machine, first)
        listed = machine.listing(first)
        machine.ok(first, "plugin", "freeze", "-o", "plugins.toml")
        frozen = (machine.root / "plugins.toml").read_text()
        shutil.rmtree(machine.plugin_dir)  # the native library goes with the old machine
        second = machine.venv("second")

        synced = machine.ok(second, "plugin", "sync", "plugins.toml")
        again = machine.ok(second, "plugin", "sync", "plugins.toml")

        assert listed == machine.listing(second)
        assert frozen == machine.ok(second, "plugin", "freeze").stdout
        assert [
            "installing python hm-indexed 2.1.0 (sha256 unknown)...",
            "installing python hm-pinned 1.0.0 (sha256 "
            + frozen.split('sha256 = "')[1][:12]
            + "...)...",
            f"installing native {_NATIVE} from {machine.root / 'libhm_c_hello.so'}",
        ] == sorted(synced.stderr.splitlines(), key=lambda line: "native" in line)
        assert "Synced plugins.toml: 0 changed, 3 already as pinned\n" == again.stdout
        assert {"hm-pinned", "hm-indexed", _NATIVE} <= {str(p["name"]) for p in listed}

    def test_a_pinned_wheel_brings_its_dependencies(self, machine: Machine) -> None:
        """The set pins only the plugin; sync still installs the library the wheel requires."""
        build_wheel(machine.wheels, "hm-needed", version="0.3.0", plugin=False)
        wheel = build_wheel(machine.wheels, "hm-needy", requires=["hm-needed>=0.3"])
        first = machine.venv("first")
        machine.ok(first, "plugin", "install", str(wheel))
        machine.ok(first, "plugin", "freeze", "-o", "plugins.toml")
        second = machine.venv("second")

        machine.ok(second, "plugin", "sync", "plugins.toml")

        tables = (machine.root / "plugins.toml").read_text().splitlines()
        assert ["[python.hm-needy]"] == [line for line in tables if line.startswith("[")]
        assert {"hm-needed==0.3.0", "hm-needy==1.0.0"} <= set(
            machine.distributions(second).splitlines()
        )

    def test_the_set_pins_what_is_known_and_nothing_else(self, machine: Machine) -> None:
        """The wheel and the library carry their real digests; the index install carries none."""
        python = machine.venv("env")
        _install_set(machine, python)
        wheel = machine.wheels / "hm_pinned-1.0.0-py3-none-any.whl"
        library = machine.root / "libhm_c_hello.so"

        frozen = machine.ok(python, "plugin", "freeze").stdout

        assert frozen == (
            "# The plugins of an hm environment, written by `hm plugin freeze`.\n"
            "# Install them elsewhere with `hm plugin sync FILE`.\n"
            "format = 1\n\n"
            '[python.hm-indexed]\nversion = "2.1.0"\n'
            "# sha256 unknown: pip keeps no digest of what it installs from an index\n\n"
            f'[python.hm-pinned]\nversion = "1.0.0"\nsha256 = "{_sha256(wheel)}"\n'
            f'url = "{wheel.as_uri()}"\n\n'
            f'[native.{_NATIVE}]\nsha256 = "{_sha256(library)}"\nsource = "{library}"\n'
        )

    @pytest.mark.parametrize("changed", ["native", "python"])
    def test_a_digest_mismatch_installs_nothing(self, machine: Machine, changed: str) -> None:
        """One entry's file changed since the freeze: one error line, exit 2, nothing installed."""
        first = machine.venv("first")
        _install_set(machine, first)
        machine.ok(first, "plugin", "freeze", "-o", "plugins.toml")
        shutil.rmtree(machine.plugin_dir)
        target = (
            machine.root / "libhm_c_hello.so"
            if changed == "native"
            else machine.wheels / "hm_pinned-1.0.0-py3-none-any.whl"
        )
        pinned = _sha256(target)
        with target.open("ab") as file:
            file.write(b"\0")
        second = machine.venv("second")
        entry = f"{changed}.{_NATIVE if changed == 'native' else 'hm-pinned'}"
        line = _line(machine.root / "plugins.toml", f'sha256 = "{pinned}"')

        done = machine.hm(second, "plugin", "sync", "plugins.toml")

        assert 2 == done.returncode
        assert [
            f"error: plugins.toml:{line}: {entry}: SHA-256 mismatch: the set pins {pinned}, "
            f"{target} has {_sha256(target)}",
            "hint: the file changed since the set was frozen; restore it, or freeze the set again",
        ] == done.stderr.splitlines()
        assert "hm-" not in machine.distributions(second)
        assert not machine.plugin_dir.exists()

    @pytest.mark.parametrize("flags", [[], ["-v"]], ids=["quiet", "verbose"])
    def test_a_digest_pip_refuses_installs_nothing(
        self, machine: Machine, flags: list[str]
    ) -> None:
        """A wheel pip finds with another digest than the pinned one: exit 2, pip's report kept."""
        (machine.root / "plugins.toml").write_text(
            f'format = 1\n\n[python.hm-indexed]\nversion = "2.1.0"\nsha256 = "{"0" * 64}"\n'
        )
        python = machine.venv("env")

        done = machine.hm(python, "plugin", "sync", "plugins.toml", *flags)

        assert 2 == done.returncode
        assert "THESE PACKAGES DO NOT MATCH THE HASHES" in done.stderr
        assert [
            "error: plugins.toml: pip found a distribution whose SHA-256 is not the one the set "
            "pins (pip's report is above); nothing was installed",
            "hint: the index or file changed since the set was frozen; freeze the set again",
        ] == done.stderr.splitlines()[-2:]
        assert "hm-" not in machine.distributions(python)

    def test_exact_removes_what_the_set_does_not_name(self, machine: Machine) -> None:
        """--dry-run says what --exact removes and changes nothing; then it removes just that."""
        python = machine.venv("env")
        _install_set(machine, python)
        wheel = machine.wheels / "hm_pinned-1.0.0-py3-none-any.whl"
        (machine.root / "only.toml").write_text(
            f'format = 1\n\n[python.hm-pinned]\nversion = "1.0.0"\nsha256 = "{_sha256(wheel)}"\n'
        )
        before = machine.listing(python)

        dry = machine.ok(python, "plugin", "sync", "only.toml", "--exact", "--dry-run")
        unchanged = machine.listing(python)
        machine.ok(python, "plugin", "sync", "only.toml", "--exact")
        after = machine.listing(python)

        assert [
            "would remove python hm-indexed (plugins: hm-indexed)",
            f"would remove native {machine.plugin_dir / _NATIVE}.so (plugins: {_NATIVE})",
        ] == dry.stdout.splitlines()
        assert before == unchanged
        assert ["docker", "hm-pinned", "kubernetes", "local"] == sorted(
            str(p["name"]) for p in after
        )
        assert not list(machine.plugin_dir.iterdir())


class TestWithoutPip:
    def test_a_library_copied_by_hand_is_frozen_without_a_source(
        self, machine: Machine, native: Built
    ) -> None:
        """No origin recorded: a warning, a set without a source, a sync that says what to add."""
        native.install("hm_c_hello", machine.plugin_dir, name=_NATIVE)
        library = machine.plugin_dir / f"{_NATIVE}.so"

        frozen = machine.ok(sys.executable, "plugin", "freeze", "-o", "plugins.toml")
        text = (machine.root / "plugins.toml").read_text()
        library.unlink()
        synced = machine.hm(sys.executable, "plugin", "sync", "plugins.toml")

        assert (
            f"warning: native plugin '{_NATIVE}': {library} was not installed by "
            "`hm plugin install`, so the set records no source to sync it from"
        ) == frozen.stderr.splitlines()[0]
        assert text.endswith(
            f'[native.{_NATIVE}]\nsha256 = "{_sha256(native.path("hm_c_hello"))}"\n'
            "# source unknown: not installed by `hm plugin install`\n"
        )
        assert (2, [
            f"error: plugins.toml:{_line(machine.root / 'plugins.toml', 'sha256')}: "
            f"native.{_NATIVE}: no source to install it from",
            'hint: add source = "PATH or https URL" of the library with this sha256',
        ]) == (synced.returncode, synced.stderr.splitlines())  # fmt: skip

    def test_a_library_replaced_since_its_install_loses_its_source(self, machine: Machine) -> None:
        """The recorded origin holds only while the file has the digest it was installed with."""
        machine.ok(sys.executable, "plugin", "install", str(machine.root / "libhm_c_hello.so"))
        installed = machine.ok(sys.executable, "plugin", "freeze").stdout
        library = machine.plugin_dir / f"{_NATIVE}.so"
        with library.open("ab") as file:
            file.write(b"\0")

        replaced = machine.ok(sys.executable, "plugin", "freeze")

        assert f'source = "{machine.root / "libhm_c_hello.so"}"' in installed
        assert "source =" not in replaced.stdout
        assert replaced.stderr.startswith(f"warning: native plugin '{_NATIVE}': ")

    def test_an_output_that_cannot_be_written_is_one_error_line(self, machine: Machine) -> None:
        """-o into a directory that does not exist: exit 2, the reason, nothing left behind."""
        target = machine.root / "missing" / "plugins.toml"

        done = machine.hm(sys.executable, "plugin", "freeze", "-o", str(target))

        assert (2, [
            f"error: cannot write the plugin set to {target}: No such file or directory",
            "hint: pass -o a file in a directory that exists and you can write to",
        ]) == (done.returncode, done.stderr.splitlines())  # fmt: skip

    def test_a_plain_http_source_is_refused(self, machine: Machine) -> None:
        """A library is only downloaded over https: the entry is named, exit 2, nothing fetched."""
        (machine.root / "plugins.toml").write_text(
            f'format = 1\n\n[native.web]\nsha256 = "{"a" * 64}"\nsource = "http://x.org/web.so"\n'
        )

        done = machine.hm(sys.executable, "plugin", "sync", "plugins.toml")

        assert (2, [
            "error: plugins.toml:4: native.web: plugin source 'http://x.org/web.so': "
            "plain http:// is not allowed",
            "hint: use an https:// URL, or a local file path",
        ]) == (done.returncode, done.stderr.splitlines())  # fmt: skip

    def test_bad_input_is_one_error_line_and_exit_2(self, machine: Machine) -> None:
        """A set of an unknown format is refused before anything loads or installs."""
        (machine.root / "plugins.toml").write_text("format = 7\n")

        done = machine.hm(sys.executable, "plugin", "sync", "plugins.toml")

        assert (2, [
            "error: plugins.toml:1: format: format 7 is not one this hm reads (it reads 1)",
            "hint: freeze the set again with this hm, or sync it with the hm that wrote it",
        ]) == (done.returncode, done.stderr.splitlines())  # fmt: skip


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _line(path: Path, text: str) -> int:
    """The number of the first line of ``path`` that holds ``text``."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)
