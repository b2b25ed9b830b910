"""Running `hm plugin check` as a subprocess and reading its report, for the check tests."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Final

import attrs

if TYPE_CHECKING:
    from tests.run.rig import Project

#: One report line: the verdict, the check's name, its time.
LINE: Final = re.compile(r"(ok|FAIL)  +(\S.*?) +\d+\.\d ms(?:  (\([^)]+\)))?")


@attrs.frozen
class Checked:
    """What one `hm plugin check` did."""

    returncode: int
    stdout: str
    stderr: str

    def verdicts(self) -> dict[str, str]:
        """Check name -> ``ok`` or ``FAIL``, from the human report; every line must parse."""
        lines = self.stdout.splitlines()
        found: dict[str, str] = {}
        for line in lines[:-1]:  # the last line is the summary
            if line.startswith("      "):  # a failed check's reason
                continue
            match = LINE.fullmatch(line)
            assert match is not None, f"not a report line: {line!r}"
            verdict, name, note = match.groups()
            found[name] = verdict if note is None else f"{verdict} {note}"
        return found

    def failed(self) -> set[str]:
        """The names of the failed checks."""
        return {name for name, verdict in self.verdicts().items() if verdict == "FAIL"}

    def reason(self, name: str) -> str:
        """The reason printed under the failed check *name*."""
        lines = self.stdout.splitlines()
        for index, line in enumerate(lines):
            match = LINE.fullmatch(line)
            if match is not None and match.group(2) == name:
                return lines[index + 1].strip()
        raise AssertionError(f"no check {name!r} in {self.stdout}")

    def data(self) -> dict[str, object]:
        """The report of a ``--format json`` run."""
        loaded = json.loads(self.stdout)
        assert isinstance(loaded, dict)
        return loaded


def check(project: Project, target: str, *args: str) -> Checked:
    """Run `hm plugin check TARGET ARGS` in *project* to completion."""
    done = project.hm("plugin", "check", target, *args, raw=True)
    return Checked(done.returncode, done.stdout, done.stderr)
