"""
Pipeline discovery: import a repo's pipeline files and read the envelope they declare.

Pipeline files are arbitrary Python. They are imported in a child interpreter, never in
this process, so that whatever they do (change the environment, register things, hang,
exit) stays in the child. The child's world is fixed (docs/ir.md, Discovery): a cleared environment
holding only ``PYTHONPATH`` (our ``harmont``, then the repo's pipeline directories),
``PATH`` of the three system bin directories and ``LANG=C.UTF-8``; the repo root as working
directory; stdin at end of file; and a time limit. Rendering therefore sees the same
inputs on every machine (the organisation is always ``"default"``, ``on_change`` paths
resolve from the repo root).

The child answers with one JSON object on a private file descriptor: the envelope text,
or the failure with the file and line in the pipeline files where it happened. Anything
the pipeline files print goes to stderr, so it can never corrupt the answer.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from harmont._errors import Cancelled, PipelineRenderError, UsageError
from harmont._ir import SLUG_PATTERN, load_definition, load_envelope, select_definition

if TYPE_CHECKING:
    import threading
    from collections.abc import Iterator
    from typing import TextIO

    from harmont._ir import Definition

__all__ = [
    "DEFAULT_TIMEOUT",
    "EMPTY_ENVELOPE",
    "PIPELINE_DIRS",
    "child_env",
    "load_pipeline",
    "pipeline_files",
    "render_envelope",
    "resolve_definition",
]

#: Where pipeline files live, relative to the repo root, in import order.
PIPELINE_DIRS: Final = (".harmont", ".hm")
#: Seconds the pipeline files get to import and render before discovery gives up.
DEFAULT_TIMEOUT: Final = 60.0
#: How often a waiting discovery looks at its cancel event.
_CANCEL_POLL_SECONDS: Final = 0.1
#: What a repo without pipeline files declares.
EMPTY_ENVELOPE: Final = '{"schema_version": "1", "pipelines": []}'

#: Bytes read from the child's answer pipe at a time.
_READ_SIZE: Final = 1 << 16
#: Signals that mean the interpreter crashed, rather than was killed.
_CRASH_SIGNALS: Final = frozenset(
    {signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT, signal.SIGILL, signal.SIGFPE}
)
_SIGNAL_NUMBERS: Final = frozenset(number.value for number in signal.Signals)

_SYSTEM_PATH: Final = "/usr/local/bin:/usr/bin:/bin"
_CHILD_CODE: Final = "from harmont._pipelines import _child_main; _child_main()"


def pipeline_files(root: Path) -> list[Path]:
    """The pipeline files of the repo at ``root``, in import order."""
    return [path for name in PIPELINE_DIRS for path in sorted((root / name).glob("*.py"))]


def child_env(root: Path) -> dict[str, str]:
    """
    The complete environment of the child interpreter.

    ``PYTHONDONTWRITEBYTECODE`` keeps discovery from writing ``__pycache__`` into the repo.
    """
    import harmont

    home = Path(harmont.__file__).resolve().parent.parent
    dirs = [str(root / name) for name in PIPELINE_DIRS if (root / name).is_dir()]
    return {
        "PYTHONPATH": os.pathsep.join([str(home), *dirs]),
        "PATH": _SYSTEM_PATH,
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _run_child(
    root: Path, files: list[Path], timeout: float, cancel: threading.Event | None
) -> dict[str, Any]:
    # -P: the working directory (the repo root) must not shadow our harmont.
    command = [sys.executable or "python3", "-P", "-c", _CHILD_CODE, *map(str, files)]
    with subprocess.Popen(
        command,
        cwd=root,
        env=child_env(root),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        start_new_session=True,  # one process group: a timeout kills what it started too
    ) as child:
        try:
            out = _read_answer(child, root, timeout, cancel)
        finally:
            # Always, not only on timeout: a pipeline file may have started a process in
            # the background and exited, and that process must not outlive discovery.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    if out is None:
        raise _no_answer(root, child.returncode)
    try:
        answer = json.loads(out)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise PipelineRenderError(
            f"the interpreter importing the pipeline files of {root} answered with "
            f"something else than its answer ({out[:40]!r})",
            hint="a pipeline file wrote to a file descriptor it did not open; remove that write",
        )
    return answer


def _no_answer(root: Path, status: int) -> PipelineRenderError:
    """Why the child ended without answering, in the words of its exit status."""
    if status < 0:
        name = signal.Signals(-status).name if -status in _SIGNAL_NUMBERS else str(-status)
        crashed = -status in _CRASH_SIGNALS
        return PipelineRenderError(
            f"the interpreter importing the pipeline files of {root} "
            + (f"crashed ({name})" if crashed else f"was killed by {name}"),
            hint=(
                "a pipeline file, or a C extension it imports, crashed Python"
                if crashed
                else "something outside hm killed it (the out-of-memory killer?)"
            ),
        )
    return PipelineRenderError(
        f"the interpreter importing the pipeline files of {root} exited with status "
        f"{status} before it could answer",
        hint="a pipeline file ended the interpreter itself (os._exit?); raise an exception "
        "instead, and hm shows where",
    )


def _read_answer(
    child: subprocess.Popen[bytes], root: Path, timeout: float, cancel: threading.Event | None
) -> bytes | None:
    """
    The child's answer line, or None if it ended without one.

    Discovery is over when the answer's newline arrives or the child has exited, not when
    every holder of the pipe has closed it: a process a pipeline file forked may keep it
    open for as long as it lives. Waited for in short slices, so a cancellation (Ctrl-C
    in `hm run`) ends discovery at once instead of after the import timeout.
    """
    assert child.stdout is not None
    descriptor = child.stdout.fileno()
    deadline = time.monotonic() + timeout
    received = bytearray()
    closed = False  # the child closed its end: nothing more can come
    while True:
        exited = child.poll() is not None  # before reading: what it wrote is in the pipe
        if closed:
            if exited:
                return bytes(received) or None
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(_CANCEL_POLL_SECONDS)
        else:
            wait = 0 if exited else _CANCEL_POLL_SECONDS
            ready, _, _ = select.select([descriptor], [], [], wait)
            if not ready and exited:  # gone, and a process it forked holds the pipe
                return bytes(received) or None
            chunk = os.read(descriptor, _READ_SIZE) if ready else b""
            received += chunk
            end = received.find(b"\n")
            if end >= 0:
                return bytes(received[:end])
            closed = bool(ready) and not chunk
        if cancel is not None and cancel.is_set():
            raise Cancelled(f"cancelled while importing the pipeline files of {root}")
        if time.monotonic() >= deadline:
            raise PipelineRenderError(
                f"the pipeline files of {root} did not finish importing within {timeout:g} s",
                hint="a pipeline file may wait for input or loop forever at import time",
            )


def render_envelope(
    root: Path, *, timeout: float = DEFAULT_TIMEOUT, cancel: threading.Event | None = None
) -> str:
    """
    Import the pipeline files of the repo at ``root`` and return the envelope JSON text,
    validated: every pipeline in it is a well-formed IR document.

    :raises PipelineRenderError: a pipeline file raised (the message gives its file, line
        and error), or importing took longer than ``timeout`` seconds.
    :raises Cancelled: ``cancel`` was set while the files were being imported.
    :raises InvalidIR: the files rendered an envelope that does not validate.
    """
    if not root.is_dir():
        raise UsageError(f"repo directory {str(root)!r} does not exist")
    root = root.resolve()  # the child runs in root: every path it gets must be absolute
    files = pipeline_files(root)
    if not files:
        return EMPTY_ENVELOPE
    answer = _run_child(root, files, timeout, cancel)
    if "error" in answer:
        failure = answer["error"]
        raise PipelineRenderError(
            failure["message"],
            path=failure["path"],
            line=failure["line"],
            hint=failure["hint"],
        )
    text: str = answer["envelope"]
    load_envelope(text)
    return text


def load_pipeline(
    root: Path,
    slug: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: threading.Event | None = None,
) -> Definition:
    """
    Discover the pipelines of the repo at ``root`` and return the one named ``slug`` (or
    the only one, when ``slug`` is None), by the rules of docs/ir.md (Discovery).
    """
    envelope = json.loads(render_envelope(root, timeout=timeout, cancel=cancel))
    return select_definition(envelope, slug, source="this repo")


def resolve_definition(
    target: str | None,
    *,
    root: Path,
    slug: str | None = None,
    stdin: TextIO | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: threading.Event | None = None,
) -> Definition:
    """
    Obtain one pipeline definition the way `hm render` and `hm run` name it.

    ``target`` says where the pipelines come from: ``-`` (an IR document on ``stdin``),
    the path of an IR JSON file, or None for the repo at ``root``. ``slug`` picks one of
    several, wherever they come from; for the repo, ``target`` may be the slug instead
    (a file named like a slug is then passed as ``./name``).

    :raises UsageError: ``target`` and ``slug`` name two different pipelines of the repo.
    """
    if target == "-":
        text = (stdin or sys.stdin).read()
        return load_definition(text, slug=slug, origin="<stdin>")
    if target is None or SLUG_PATTERN.fullmatch(target):
        if target is not None and slug is not None and slug != target:
            raise UsageError(
                f"two pipelines named: {target!r} as the first argument and {slug!r} with --slug",
                hint="name one of them",
            )
        return load_pipeline(root, target or slug, timeout=timeout, cancel=cancel)
    return load_definition(Path(target), slug=slug)


# --- the child interpreter ------------------------------------------------------------


def _user_frames(error: BaseException, dirs: list[Path]) -> Iterator[tuple[str, int]]:
    """The frames of ``error``'s traceback that run code of the pipeline directories."""
    for frame, line in traceback.walk_tb(error.__traceback__):
        path = Path(frame.f_code.co_filename)
        if any(path.is_relative_to(directory) for directory in dirs):
            yield str(path), line


def _failure(error: BaseException, dirs: list[Path], current: Path | None) -> dict[str, Any]:
    """Describe ``error`` by the innermost place in the pipeline files it came from."""
    place: tuple[str | None, int | None] = (str(current) if current else None, None)
    if isinstance(error, SyntaxError) and error.filename:
        place = (error.filename, error.lineno)
    else:
        chain: list[BaseException] = [error]
        while (cause := chain[-1].__cause__ or chain[-1].__context__) and len(chain) < 10:
            chain.append(cause)
        for link in chain:
            frames = list(_user_frames(link, dirs))
            if frames:
                place = frames[-1]
                break
    path, line = place
    if path is not None:
        path = os.path.relpath(path)
    lines = [text for text in str(error).splitlines() if text.strip()]
    summary = type(error).__name__ + (f": {lines[0]}" if lines else "")
    where = f"{path}:{line}" if path and line else path
    return {
        "message": f"{where}: {summary}" if where else summary,
        "path": path,
        "line": line,
        "hint": " ".join(text.strip().lstrip("→").strip() for text in lines[1:]) or None,
    }


def _import_file(path: Path) -> None:
    name = path.stem
    loaded = sys.modules.get(name)
    if loaded is not None:
        if Path(getattr(loaded, "__file__", "") or "").resolve() == path.resolve():
            return  # another pipeline file imported it already
        raise ImportError(
            f"pipeline file {path} is named like the module {name!r} that is already "
            "imported; rename the file"
        )
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def _child_main() -> None:
    """
    Import the pipeline files named in ``sys.argv`` and answer on the original stdout.

    Runs in the child interpreter only. fd 1 is pointed at stderr first, so a ``print``
    (or a subprocess) in a pipeline file writes to stderr and the answer stays clean. The
    answer's descriptor is closed in every process a pipeline file forks, so only this
    interpreter can answer, and no fork can hold discovery open; the answer is one line,
    and its newline tells the parent it is complete.
    """
    answer = _AnswerFd(os.dup(1))
    os.dup2(2, 1)
    os.register_at_fork(after_in_child=answer.forget)
    dirs = [Path(name).resolve() for name in PIPELINE_DIRS]
    current: Path | None = None
    reply: dict[str, Any]
    try:
        for current in map(Path, sys.argv[1:]):
            _import_file(current)
        current = None
        import harmont

        reply = {"envelope": harmont.dump_registry_json()}
    except BaseException as error:  # every failure is reported, sys.exit() included
        reply = {"error": _failure(error, dirs, current)}
    # The parent kills this process group once the answer is in: what the pipeline files
    # printed must be out first.
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    answer.send(json.dumps(reply) + "\n")


class _AnswerFd:
    """The child's answer descriptor, owned by the process that opened it only."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor: int | None = descriptor

    def forget(self) -> None:
        """In a forked process: close it, so the fork can neither answer nor hold it."""
        if self._descriptor is not None:
            with contextlib.suppress(OSError):
                os.close(self._descriptor)
            self._descriptor = None

    def send(self, text: str) -> None:
        """Write the answer (ASCII: ``json.dumps`` escapes the rest) and close."""
        if self._descriptor is None:
            return  # a fork that came back here: the interpreter that owns it answers
        with os.fdopen(self._descriptor, "wb") as out:
            out.write(text.encode("ascii"))
        self._descriptor = None
