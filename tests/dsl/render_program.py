"""
Render pipeline programs with pinned inputs and print one outcome per program, as JSON.

Usage: ``python -I render_program.py [--sys-path DIR] WORKSPACE PROGRAM...``

The same script runs under the reference venv (``harmont==0.0.9``) and under ours
(``--sys-path`` puts our repository first), so the two outcomes can be compared byte for
byte. It needs nothing but the standard library and whichever ``harmont`` it finds.

Each program runs in a forked child, so module-level state (the reference keeps its
registry in a global) never leaks from one program to the next. The children work in one
copy of WORKSPACE made for the run (programs only read it: copying it for each of a hundred
programs was most of the suite's time), with the environment replaced by
:data:`PINNED_ENV` and ``time.time`` pinned to :data:`PINNED_NOW`, then report, in this
order:

- ``OUTPUT``, when the program set it (programs that call the renderers themselves);
- ``json.dumps(PIPELINE)`` and ``hm.pipeline_to_json(PIPELINE)``, when it set ``PIPELINE``;
- ``hm.dump_registry_json()``, always.

A program that raises reports ``raised: <exception type>`` instead.
"""

from __future__ import annotations

import io
import json
import os
import runpy
import shutil
import sys
import tempfile
import time
from pathlib import Path

#: The process environment every program renders in; ``HM_PIPELINE_ORG`` is the variable
#: harmont 0.0.9 reads, ``HARMONT_PIPELINE_ORG`` is set to show it is not.
PINNED_ENV = {
    "HM_PIPELINE_ORG": "acme",
    "HM_PIPELINE_SLUG": "compat",
    "HARMONT_PIPELINE_ORG": "not-read",
    "RUST_VERSION": "1.80.0",
    "TARGET_ARCH": "x86_64",
    "LANG": "C.UTF-8",
}
#: The clock every program renders at (Unix seconds, with a fraction to check truncation).
PINNED_NOW = 1_750_000_123.75


def _exception_name(error: BaseException) -> str:
    kind = type(error)
    return (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )


def _render(program: Path, workdir: Path) -> str:
    import harmont as hm

    os.chdir(workdir)
    os.environ.clear()
    os.environ.update(PINNED_ENV)
    time.time = lambda: PINNED_NOW
    try:
        scope = runpy.run_path(str(program), run_name="pipeline_program")
        parts = []
        if "OUTPUT" in scope:
            parts += ["OUTPUT", scope["OUTPUT"]]
        if "PIPELINE" in scope:
            parts += ["PIPELINE", json.dumps(scope["PIPELINE"])]
            parts += ["pipeline_to_json", hm.pipeline_to_json(scope["PIPELINE"])]
        parts += ["dump_registry_json", hm.dump_registry_json()]
    except Exception as error:
        return f"raised: {_exception_name(error)}"
    return "\n".join(parts)


def _render_in_child(program: Path, workdir: Path) -> str:
    """Run :func:`_render` in a forked child and return what it wrote to the pipe."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        sys.stdout = sys.stderr = io.StringIO()
        outcome = _render(program, workdir)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(outcome.encode("utf-8", "surrogateescape"))
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        outcome = pipe.read().decode("utf-8", "surrogateescape")
    _, status = os.waitpid(pid, 0)
    if status != 0:
        return f"crashed: wait status {status}"
    return outcome


def main(argv: list[str]) -> None:
    if argv[:1] == ["--sys-path"]:
        sys.path.insert(0, argv[1])
        argv = argv[2:]
    workspace, *programs = (Path(arg).resolve() for arg in argv)
    import harmont

    # Load the whole DSL once here (ours loads it lazily), so every forked child starts warm.
    _ = harmont.pipeline

    with tempfile.TemporaryDirectory(prefix="hm-dsl-compat-") as scratch:
        workdir = Path(scratch) / "workspace"
        shutil.copytree(workspace, workdir)
        outcomes = {program.stem: _render_in_child(program, workdir) for program in programs}
    sys.stdout.write(json.dumps(outcomes))


if __name__ == "__main__":
    main(sys.argv[1:])
