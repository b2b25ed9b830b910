"""Source packing: gitignore semantics, exclusions, member shapes, determinism, safe unpacking."""

from __future__ import annotations

import io
import os
import shutil
import tarfile
from typing import TYPE_CHECKING

import pytest

from harmont._errors import SourceError, UnpackError, UsageError
from harmont._orchestrator import pack_source, unpack_source
from harmont._orchestrator._source import DEFAULT_MAX_SOURCE_BYTES, max_source_bytes
from tests.host.source_trees import beyond_path_max

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _members(data: bytes) -> list[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return tar.getmembers()


def _names(data: bytes) -> list[str]:
    return [m.name for m in _members(data)]


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for info, data in members:
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _member(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


class TestGitignore:
    def test_root_patterns(self, tmp_path: Path) -> None:
        """Globs, negations, directory-only and anchored patterns of the root .gitignore apply."""
        root = _tree(
            tmp_path,
            {
                ".gitignore": "*.log\n!keep.log\nbuild/\n/anchored.txt\n# comment\n",
                "app.py": "",
                "debug.log": "",
                "keep.log": "",
                "sub/trace.log": "",
                "build/out.o": "",
                "docs/build": "a file named build is not a directory",
                "anchored.txt": "",
                "sub/anchored.txt": "",
            },
        )

        assert [
            ".gitignore",
            "app.py",
            "docs/build",
            "keep.log",
            "sub/anchored.txt",
        ] == _names(pack_source(root))

    def test_nested_gitignore_is_relative_to_its_directory(self, tmp_path: Path) -> None:
        """A nested .gitignore matches paths relative to its own directory, and only below it."""
        root = _tree(
            tmp_path,
            {
                "sub/.gitignore": "*.tmp\n/local\n",
                "sub/a.tmp": "",
                "sub/local": "",
                "sub/deeper/local": "",
                "sub/deeper/b.tmp": "",
                "top.tmp": "",
                "local": "",
            },
        )

        assert [
            "local",
            "sub/.gitignore",
            "sub/deeper/local",
            "top.tmp",
        ] == _names(pack_source(root))

    def test_nested_negation_overrides_the_root(self, tmp_path: Path) -> None:
        """A deeper .gitignore re-includes what the root one ignored, for its subtree only."""
        root = _tree(
            tmp_path,
            {
                ".gitignore": "*.log\n",
                "sub/.gitignore": "!important.log\n",
                "sub/important.log": "",
                "sub/other.log": "",
                "important.log": "",
            },
        )

        assert [".gitignore", "sub/.gitignore", "sub/important.log"] == _names(pack_source(root))

    def test_ignored_directory_is_not_entered(self, tmp_path: Path) -> None:
        """Nothing under an ignored directory comes back, not even through its own negations."""
        root = _tree(
            tmp_path,
            {
                ".gitignore": "vendor/\n",
                "vendor/.gitignore": "!*\n",
                "vendor/lib.py": "",
                "main.py": "",
            },
        )

        assert [".gitignore", "main.py"] == _names(pack_source(root))

    def test_directory_contents_pattern_with_negation(self, tmp_path: Path) -> None:
        """``dir/*`` with ``!dir/keep`` keeps exactly the negated entry, as git does."""
        root = _tree(
            tmp_path,
            {".gitignore": "data/*\n!data/keep.csv\n", "data/keep.csv": "", "data/big.bin": ""},
        )

        assert [".gitignore", "data/keep.csv"] == _names(pack_source(root))

    def test_info_exclude_is_honoured_below_gitignore(self, tmp_path: Path) -> None:
        """``.git/info/exclude`` ignores paths, and the root .gitignore can re-include them."""
        root = _tree(
            tmp_path,
            {
                ".git/info/exclude": "*.secret\nscratch/\n",
                ".gitignore": "!shared.secret\n",
                "a.secret": "",
                "shared.secret": "",
                "scratch/notes.txt": "",
            },
        )

        assert [".gitignore", "shared.secret"] == _names(pack_source(root))

    def test_rules_apply_outside_a_git_repository(self, tmp_path: Path) -> None:
        """A tree without .git (an export) honours its .gitignore like the checkout it came from."""
        root = _tree(tmp_path, {".gitignore": "*.pyc\n", "m.py": "", "m.pyc": ""})

        assert [".gitignore", "m.py"] == _names(pack_source(root))


class TestExclusions:
    def test_vcs_and_host_directories_are_left_out_at_any_depth(self, tmp_path: Path) -> None:
        """.git (directory or file), .harmont and .hm are never packed; other dotfiles are."""
        root = _tree(
            tmp_path,
            {
                ".git/HEAD": "ref: refs/heads/main",
                ".harmont/pipeline.py": "",
                ".hm/pipeline.py": "",
                ".github/workflows/ci.yml": "",
                ".env.example": "",
                "vendor/submodule/.git": "gitdir: ../../.git/modules/submodule",
                "vendor/submodule/.harmont/plan.json": "",
                "vendor/submodule/lib.c": "",
            },
        )

        assert [
            ".env.example",
            ".github/workflows/ci.yml",
            "vendor/submodule/lib.c",
        ] == _names(pack_source(root))


class TestMembers:
    def test_symlinks_are_stored_not_followed(self, tmp_path: Path) -> None:
        """A symlink to a directory outside the tree is one member with its target verbatim."""
        outside = _tree(tmp_path / "outside", {"private.key": "secret"})
        root = _tree(tmp_path / "repo", {"a.txt": "a"})
        (root / "link-dir").symlink_to(outside)
        (root / "link-file").symlink_to("a.txt")

        members = {m.name: m for m in _members(pack_source(root))}

        assert ["a.txt", "link-dir", "link-file"] == sorted(members)
        assert (True, str(outside)) == (members["link-dir"].issym(), members["link-dir"].linkname)
        assert (True, "a.txt") == (members["link-file"].issym(), members["link-file"].linkname)

    def test_only_regular_files_and_symlinks(self, tmp_path: Path) -> None:
        """FIFOs are skipped; empty directories vanish as they do in git."""
        root = _tree(tmp_path, {"a.txt": ""})
        os.mkfifo(root / "pipe")
        (root / "empty").mkdir()

        assert ["a.txt"] == _names(pack_source(root))

    def test_headers_are_normalised(self, tmp_path: Path) -> None:
        """Owners, names and times are fixed; only the executable bit of the mode survives."""
        root = _tree(tmp_path, {"run.sh": "#!/bin/sh\n", "data.txt": "x"})
        (root / "run.sh").chmod(0o700)
        (root / "data.txt").chmod(0o600)

        headers = [
            (m.name, m.mode, m.uid, m.gid, m.uname, m.gname, m.mtime)
            for m in _members(pack_source(root))
        ]

        assert [
            ("data.txt", 0o644, 0, 0, "", "", 315_619_200),
            ("run.sh", 0o755, 0, 0, "", "", 315_619_200),
        ] == headers

    def test_root_must_be_a_directory(self, tmp_path: Path) -> None:
        """Packing something that is not a directory is one clear error."""
        with pytest.raises(
            SourceError, match=f"packing source: {tmp_path / 'nope'} is not a directory"
        ):
            pack_source(tmp_path / "nope")


class TestFailures:
    def test_unreadable_file_is_a_source_error_naming_it(self, tmp_path: Path) -> None:
        """A file that cannot be read stops packing with a SourceError naming it, with a hint."""
        root = _tree(tmp_path / "repo", {"a.txt": "a"})
        unreadable = beyond_path_max(root)

        with pytest.raises(SourceError) as info:
            pack_source(root)

        assert (
            f"packing source: cannot read {unreadable}: File name too long",
            unreadable,
            "make it readable, or leave it out of the source with .gitignore",
        ) == (str(info.value), info.value.path, info.value.hint)

    def test_ignored_unreadable_file_is_not_touched(self, tmp_path: Path) -> None:
        """Leaving an unreadable file out with .gitignore, as the hint says, lets packing pass."""
        root = _tree(tmp_path / "repo", {"a.txt": "a", ".gitignore": "d*/\n"})
        beyond_path_max(root)

        assert [".gitignore", "a.txt"] == _names(pack_source(root))


class TestLimit:
    def test_tree_over_the_limit_is_refused_where_it_crosses(self, tmp_path: Path) -> None:
        """The walk stops at the file that crosses the limit: nothing after it is opened."""
        root = _tree(tmp_path / "repo", {"a.bin": "x" * 600, "b.bin": "y" * 600})
        beyond_path_max(root)  # sorted after b.bin: opening it would fail differently

        with pytest.raises(SourceError) as info:
            pack_source(root, max_bytes=1000)

        assert (
            f"packing source: the files to pack under {root} exceed 1000 bytes "
            "(1.2 KiB counted when 'b.bin' was reached)",
            "leave large files out with .gitignore, pass the project root with -d, "
            "or raise HM_MAX_SOURCE_BYTES (0 lifts the limit)",
        ) == (str(info.value), info.value.hint)

    def test_tree_at_the_limit_packs(self, tmp_path: Path) -> None:
        """Files totalling exactly the limit pack; symlinks and ignored files do not count."""
        root = _tree(
            tmp_path / "repo",
            {"a.bin": "x" * 600, "b.bin": "y" * 390, "big.log": "z" * 5000, ".gitignore": "*.log"},
        )
        (root / "link").symlink_to("big.log")

        assert [".gitignore", "a.bin", "b.bin", "link"] == _names(pack_source(root, max_bytes=1000))

    def test_zero_lifts_the_limit(self, tmp_path: Path) -> None:
        """max_bytes=0 packs whatever the size."""
        root = _tree(tmp_path / "repo", {"a.bin": "x" * 5000})

        assert ["a.bin"] == _names(pack_source(root, max_bytes=0))

    def test_environment_sets_the_default(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without max_bytes, HM_MAX_SOURCE_BYTES is the limit."""
        root = _tree(tmp_path / "repo", {"a.bin": "x" * 2048})
        monkeypatch.setenv("HM_MAX_SOURCE_BYTES", "1K")

        with pytest.raises(SourceError, match=r"exceed 1 KiB \(2 KiB counted"):
            pack_source(root)

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, DEFAULT_MAX_SOURCE_BYTES),
            ("", DEFAULT_MAX_SOURCE_BYTES),
            ("4096", 4096),
            ("2k", 2048),
            ("512M", 512 << 20),
            (" 3G ", 3 << 30),
            ("0", None),
        ],
    )
    def test_variable_values(self, value: str | None, expected: int | None) -> None:
        """The variable is a byte count with an optional binary suffix; 0 means no limit."""
        env = {} if value is None else {"HM_MAX_SOURCE_BYTES": value}

        assert expected == max_source_bytes(env)

    @pytest.mark.parametrize("value", ["lots", "1.5G", "512MiB", "-1", "G"])
    def test_bad_variable_is_a_usage_error(self, value: str) -> None:
        """Anything but a byte count is refused with one line quoting it."""
        with pytest.raises(UsageError) as info:
            max_source_bytes({"HM_MAX_SOURCE_BYTES": value})

        assert (
            f"HM_MAX_SOURCE_BYTES: expected a byte count such as 536870912 or 512M, got {value!r}"
        ) == str(info.value)


class TestDeterminism:
    def test_same_tree_same_bytes(self, tmp_path: Path) -> None:
        """Packing one tree twice gives identical bytes."""
        root = _tree(tmp_path, {"a.txt": "a", "b/c.txt": "c", ".gitignore": "*.o\n"})

        assert pack_source(root) == pack_source(root)

    def test_copy_with_other_times_gives_same_bytes(self, tmp_path: Path) -> None:
        """A copy of the tree elsewhere, with different timestamps, packs to the same bytes."""
        first = _tree(tmp_path / "one", {"a.txt": "a", "b/c.txt": "c", "z/y/x": "xyz"})
        second = tmp_path / "two"
        shutil.copytree(first, second)
        for path in second.rglob("*"):
            os.utime(path, (1_000_000_000, 1_000_000_000))

        assert pack_source(first) == pack_source(second)

    def test_gzip_header_has_no_time(self, tmp_path: Path) -> None:
        """The gzip header's MTIME field is zero."""
        data = pack_source(_tree(tmp_path, {"a": ""}))

        assert b"\x00\x00\x00\x00" == data[4:8]


class TestUnpack:
    def test_round_trip(self, tmp_path: Path) -> None:
        """Unpacking a packed tree restores contents, executable bits and symlinks."""
        root = _tree(tmp_path / "repo", {"a.txt": "alpha", "bin/run": "#!/bin/sh\n"})
        (root / "bin" / "run").chmod(0o755)
        (root / "alias").symlink_to("a.txt")
        dest = tmp_path / "dest"

        unpack_source(pack_source(root), dest)

        assert "alpha" == (dest / "a.txt").read_text()
        assert os.access(dest / "bin" / "run", os.X_OK)
        assert (
            "a.txt",
            "alpha",
        ) == (str((dest / "alias").readlink()), (dest / "alias").read_text())

    def test_absolute_symlink_target_is_kept(self, tmp_path: Path) -> None:
        """A link to an absolute path is restored as is, since nothing is written through it."""
        root = tmp_path / "repo"
        root.mkdir()
        (root / "python").symlink_to("/usr/bin/python3")
        dest = tmp_path / "dest"

        unpack_source(pack_source(root), dest)

        assert "/usr/bin/python3" == str((dest / "python").readlink())

    @pytest.mark.parametrize(
        ("member", "reason"),
        [
            (_member("/etc/cron.d/evil"), "leaves the destination"),
            (_member("../evil"), "leaves the destination"),
            (_member("ok/../../evil"), "leaves the destination"),
            (_member("hard", tarfile.LNKTYPE, "/etc/passwd"), "is not a regular file or symlink"),
            (_member("dev", tarfile.CHRTYPE), "is not a regular file or symlink"),
            (_member("dir", tarfile.DIRTYPE), "is not a regular file or symlink"),
        ],
    )
    def test_dangerous_members_are_refused(
        self, tmp_path: Path, member: tarfile.TarInfo, reason: str
    ) -> None:
        """A member that could escape or is not a file or symlink refuses the whole archive."""
        data = _tar((_member("first.txt"), b"written?"), (member, b""))
        dest = tmp_path / "dest"

        with pytest.raises(UnpackError) as info:
            unpack_source(data, dest)

        assert f"unpacking source: member '{member.name}' {reason}" == str(info.value)
        assert not dest.exists()

    def test_write_through_an_archive_symlink_is_refused(self, tmp_path: Path) -> None:
        """A member under a symlink of the same archive is refused before anything is written."""
        outside = tmp_path / "outside"
        outside.mkdir()
        data = _tar(
            (_member("link", tarfile.SYMTYPE, str(outside)), b""),
            (_member("link/planted"), b"gotcha"),
        )

        with pytest.raises(
            UnpackError, match="member 'link/planted' would be written through a symlink"
        ):
            unpack_source(data, tmp_path / "dest")

        assert [] == list(outside.iterdir())

    def test_write_through_an_existing_symlink_is_refused(self, tmp_path: Path) -> None:
        """A symlink already in the destination is not written through either."""
        outside = tmp_path / "outside"
        outside.mkdir()
        dest = tmp_path / "dest"
        dest.mkdir()
        (dest / "link").symlink_to(outside)

        with pytest.raises(UnpackError, match="member 'link/planted' leaves the destination"):
            unpack_source(_tar((_member("link/planted"), b"gotcha")), dest)

        assert [] == list(outside.iterdir())

    @pytest.mark.parametrize(
        "damage",
        [
            pytest.param(lambda data: b"not an archive", id="not-gzip"),
            pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
            pytest.param(lambda data: data[:-8], id="no-gzip-trailer"),
            pytest.param(
                lambda data: data[:100] + bytes([data[100] ^ 0xFF]) + data[101:], id="flipped-byte"
            ),
        ],
    )
    def test_corrupt_archive_writes_nothing(
        self, tmp_path: Path, damage: Callable[[bytes], bytes]
    ) -> None:
        """A damaged archive, even one whose tar part reads fine, is refused before any write."""
        root = tmp_path / "repo"
        root.mkdir()
        (root / "noise.bin").write_bytes(os.urandom(64 * 1024))
        dest = tmp_path / "dest"

        with pytest.raises(UnpackError, match=f"unpacking source into {dest}: corrupt archive"):
            unpack_source(damage(pack_source(root)), dest)

        assert not dest.exists()

    def test_destination_that_is_a_file(self, tmp_path: Path) -> None:
        """A destination that cannot be made a directory gives one error naming it."""
        dest = tmp_path / "dest"
        dest.write_bytes(b"")

        with pytest.raises(UnpackError, match=f"unpacking source into {dest}: File exists"):
            unpack_source(pack_source(_tree(tmp_path / "repo", {"a": ""})), dest)
