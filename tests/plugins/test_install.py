"""`hm plugin install`/`remove` as library calls, plus a real pip round trip over https."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import ssl
import subprocess
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

import harmont
from harmont import PluginInfo, PluginLoadError, PluginStatus, UsageError
from harmont._plugins._install import (
    Removal,
    install_plugin,
    plan_removal,
    read_source,
    remove_plugin,
)
from tests.plugins.conftest import build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO = Path(harmont.__file__).resolve().parents[1]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _info(name: str, **fields: object) -> PluginInfo:
    defaults: dict[str, object] = {
        "version": "1.0.0",
        "kind": "python",
        "status": PluginStatus.LOADED,
        "source": "m:p (d 1.0.0)",
    }
    return PluginInfo(name=name, **{**defaults, **fields})  # type: ignore[arg-type]


class TestInstallRefusals:
    @pytest.mark.parametrize(
        ("source", "pin", "message"),
        [
            ("http://x.org/p.whl", None, "plain http:// is not allowed"),
            ("https://x.org/p.whl", None, "--pin <sha256> is required for https:// sources"),
            ("./missing.whl", None, "no file at missing.whl"),
            ("hm-junit", "a" * 64, "--pin applies to files and https URLs"),
        ],
    )
    def test_usage_errors(self, source: str, pin: str | None, message: str) -> None:
        """Sources that cannot be installed as given are refused before anything runs."""
        with pytest.raises(UsageError) as info:
            install_plugin(source, pin=pin)

        assert f"plugin source '{source}': {message}" == info.value.message

    def test_plain_http_is_not_read_as_a_file(self) -> None:
        """What sync downloads is refused over http, not looked for on disk."""
        with pytest.raises(UsageError) as info:
            read_source("http://x.org/web.so")

        assert (
            "plugin source 'http://x.org/web.so': plain http:// is not allowed",
            "use an https:// URL, or a local file path",
        ) == (info.value.message, info.value.hint)

    def test_malformed_pin(self) -> None:
        """A pin must be a SHA-256 in hex."""
        with pytest.raises(UsageError) as info:
            install_plugin("https://x.org/p.whl", pin="abc")

        assert "--pin must be 64 hexadecimal digits (a SHA-256), got 'abc'" == info.value.message

    def test_native_file_is_refused(self, tmp_path: Path) -> None:
        """A file that is no shared library is refused before it is loaded or copied."""
        library = tmp_path / "libx.so"
        library.write_bytes(b"\x7fELF")

        with pytest.raises(PluginLoadError) as info:
            install_plugin(str(library))

        assert info.value.message.startswith(
            f"native plugin '{library}': not a valid shared library: "
        )

    def test_local_pin_mismatch(self, tmp_path: Path) -> None:
        """A pin given for a local file is checked, and a mismatch names both digests."""
        wheel = tmp_path / "p-1.0.0-py3-none-any.whl"
        wheel.write_bytes(b"not really a wheel")
        wrong = "0" * 64

        with pytest.raises(PluginLoadError) as info:
            install_plugin(str(wheel), pin=wrong.upper())

        assert (
            f"plugin source '{wheel}': SHA-256 mismatch: expected {wrong}, "
            f"got {_sha256(b'not really a wheel')}"
        ) == info.value.message

    def test_unknown_file_type(self, tmp_path: Path) -> None:
        """A file that is neither a wheel, an sdist nor a library is refused."""
        notes = tmp_path / "notes.txt"
        notes.write_text("hi")

        with pytest.raises(UsageError, match="not a wheel, an sdist or a native library"):
            install_plugin(str(notes))


class TestRemoval:
    def test_unknown_plugin(self) -> None:
        """Removing an unknown plugin names the installed ones."""
        with pytest.raises(UsageError) as info:
            plan_removal("x", [_info("b"), _info("a")])

        assert "no plugin named 'x' is installed (installed: a, b)" == info.value.message

    def test_builtin_is_refused(self) -> None:
        """A built-in cannot be removed, only disabled."""
        with pytest.raises(UsageError, match="is built into harmont and cannot be removed"):
            plan_removal("local", [_info("local", builtin=True, distribution="harmont")])

    def test_python_plugin_takes_its_siblings(self) -> None:
        """Uninstalling a distribution removes every plugin it declares, and says so."""
        plugins = [_info("a", distribution="d"), _info("b", distribution="d"), _info("c")]

        assert Removal(name="b", kind="python", distribution="d", plugins=("a", "b")) == (
            plan_removal("b", plugins)
        )

    def test_native_file_is_deleted(self, tmp_path: Path) -> None:
        """A native plugin's removal deletes exactly its library file."""
        library = tmp_path / "x.so"
        library.write_bytes(b"")
        removal = plan_removal("x", [_info("x", kind="native", source=str(library))])

        remove_plugin(removal)

        assert (Path(library), False) == (removal.path, library.exists())


# -- a real pip round trip over https ------------------------------------------------------


@pytest.fixture
def https_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """Serve ``tmp_path/www`` over TLS on localhost; yield (base URL, root, CA file)."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    root, cert, key = tmp_path / "www", tmp_path / "cert.pem", tmp_path / "key.pem"
    root.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(http.server.ThreadingHTTPServer):
        def handle_error(self, request: object, client_address: object) -> None:
            """Clients that hang up are not test failures."""

    server = Quiet(("127.0.0.1", 0), handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{server.server_address[1]}", root, cert
    finally:
        server.shutdown()
        server.server_close()


class TestHttpsDownload:
    def test_pin_mismatch_after_download(
        self, https_server: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The downloaded bytes are hashed and a wrong pin stops the install."""
        url, root, cert = https_server
        wheel = build_wheel(root, "hm-remote")
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        wrong = "1" * 64

        with pytest.raises(PluginLoadError) as info:
            install_plugin(f"{url}/{wheel.name}", pin=wrong)

        assert (
            f"plugin source '{url}/{wheel.name}': SHA-256 mismatch: expected {wrong}, "
            f"got {_sha256(wheel.read_bytes())}"
        ) == info.value.message

    def test_untrusted_certificate_fails_the_download(
        self, https_server: tuple[str, Path, Path]
    ) -> None:
        """A server whose certificate is not trusted is a failed download, not an install."""
        url, root, _ = https_server
        wheel = build_wheel(root, "hm-remote")

        with pytest.raises(PluginLoadError, match="download failed"):
            install_plugin(f"{url}/{wheel.name}", pin=_sha256(wheel.read_bytes()))


@pytest.mark.slow
def test_install_from_https_then_remove(
    light_venv: Path, https_server: tuple[str, Path, Path], tmp_path: Path
) -> None:
    """A pinned https wheel is installed by pip, listed by hm, and removed with --yes."""
    url, root, cert = https_server
    wheel = build_wheel(root, "hm-remote")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "PYTHON"))}
    env.update(HOME=str(tmp_path), SSL_CERT_FILE=str(cert))
    hm = [str(light_venv / "bin" / "python"), "-m", "harmont_cli"]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*hm, *args],
            check=False,
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
        )

    installed = run(
        "plugin", "install", f"{url}/{wheel.name}", "--pin", _sha256(wheel.read_bytes())
    )
    listed = run("plugin", "list")
    removed = run("plugin", "remove", "hm-remote", "--yes")
    after = run("plugin", "list")

    assert 0 == installed.returncode, installed.stderr
    assert f"Installed {url}/{wheel.name}: plugins hm-remote" == installed.stdout.splitlines()[-1]
    assert "hm-remote " in listed.stdout
    assert 0 == removed.returncode, removed.stderr
    assert (
        "Removed distribution 'hm-remote' (plugins: hm-remote)" == (removed.stdout.splitlines()[-1])
    )
    assert "hm-remote " not in after.stdout
