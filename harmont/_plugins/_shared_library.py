"""
Is this file a shared library this host can load? Answered from its ELF header.

`hm plugin install` asks before handing a file to the dynamic loader, whose refusals
("file too short", or a worker killed by SIGBUS for a truncated file) say what went
wrong inside the loader, not what is wrong with the file. Reading the header answers in
the user's terms: not an ELF file at all, an executable rather than a library, built for
another machine, or cut short. Only ELF is checked (Linux and the BSDs); elsewhere the
loader has the only word.
"""

from __future__ import annotations

import platform
import struct
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["shared_library_problem"]

_MAGIC: Final = b"\x7fELF"
_ET_EXEC: Final = 2
_ET_DYN: Final = 3
_PT_INTERP: Final = 3
#: ``e_machine`` of the machines ``platform.machine()`` names.
_MACHINES: Final = {
    "x86_64": (62, "x86-64"),
    "amd64": (62, "x86-64"),
    "aarch64": (183, "AArch64"),
    "arm64": (183, "AArch64"),
    "i386": (3, "x86"),
    "i686": (3, "x86"),
    "armv7l": (40, "ARM"),
    "riscv64": (243, "RISC-V"),
    "ppc64le": (21, "PowerPC64"),
    "s390x": (22, "S/390"),
}
_NAMES: Final = dict(_MACHINES.values())


def shared_library_problem(path: Path) -> str | None:
    """
    Why *path* is not a shared library this host can load, in a few words; None if its
    header is sound (the loader may still refuse it, for a missing dependency say).
    """
    with path.open("rb") as file:
        header = file.read(64)
        size = file.seek(0, 2)
    problem = _ident_problem(header, size)
    if problem is not None:
        return problem
    wide, order = header[4] == 2, "<" if header[5] == 1 else ">"
    fields = "HHIQQQIHHHHHH" if wide else "HHIIIIIHHHHHH"
    (kind, machine, _, _, phoff, shoff, _, _, phentsize, phnum, shentsize, shnum, _) = (
        struct.unpack_from(order + fields, header, 16)
    )
    problem = _kind_problem(kind, machine)
    if problem is not None:
        return problem
    needed = max(phoff + phentsize * phnum, shoff + shentsize * shnum)
    if needed > size:
        return f"it is truncated ({size} bytes; its headers need {needed})"
    if _has_interpreter(path, order=order, phoff=phoff, phnum=phnum, size=phentsize):
        return "it is a position-independent executable, not a library"
    return None


def _ident_problem(header: bytes, size: int) -> str | None:
    """What is wrong with the ELF identification: magic, class, byte order, length."""
    if not header.startswith(_MAGIC):
        return f"it is not an ELF file (it starts with {header[:8]!r})"
    if len(header) < 52 or header[4] not in (1, 2) or header[5] not in (1, 2):
        return f"its ELF header is cut short or damaged ({size} bytes)"
    wide = header[4] == 2
    if wide != (struct.calcsize("P") == 8):
        built, host = ("64", "32") if wide else ("32", "64")
        return f"it is a {built}-bit library, and this host loads {host}-bit ones"
    if wide and len(header) < 64:
        return f"its ELF header is cut short ({size} bytes)"
    return None


def _kind_problem(kind: int, machine: int) -> str | None:
    """What is wrong with the file's type and machine for this host."""
    ours = _MACHINES.get(platform.machine().lower())
    if ours is not None and machine != ours[0]:
        built_for = _NAMES.get(machine, f"machine {machine}")
        return f"it is built for {built_for}, and this host is {ours[1]}"
    if kind == _ET_EXEC:
        return "it is an executable, not a library"
    if kind != _ET_DYN:
        return f"it is an ELF file of type {kind}, not a shared library"
    return None


def _has_interpreter(path: Path, *, order: str, phoff: int, phnum: int, size: int) -> bool:
    """Whether a program header asks for an interpreter: the mark of a program."""
    with path.open("rb") as file:
        file.seek(phoff)
        table = file.read(phnum * size)
    return any(
        struct.unpack_from(order + "I", table, index * size)[0] == _PT_INTERP
        for index in range(phnum)
    )
