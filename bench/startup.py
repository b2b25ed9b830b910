"""
Start-up cost of `hm`: `hm --version` and `hm --help` with 20 installed entry-point plugins.

Everything runs in a throwaway virtual environment: its own interpreter, harmont reached
through the current environment's site-packages, 20 fake plugin distributions (a
dist-info with a `harmont.plugins` entry point and a module declaring a runner and a
verb) in its site-packages, and `hm` as the console script pip writes. Each figure is a
ratio to `python -c pass` of that same interpreter, measured in the same run.

`hm --help` answers from the capability index once it is built; the "index cold" row is
what the first `hm --help` after any install costs (every plugin imported). The goals:
`hm --help` at most 4x, `hm --version` at most 2x.

Run: `python bench/startup.py [--runs N]`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

PLUGINS = 20

PLUGIN = """\
from harmont_sdk import ExitInfo, StepExecutor, StepResult, Subcommand
from harmont_sdk import executor, manifest, subcommand


class Plugin(StepExecutor, Subcommand):
    manifest = manifest("{name}", "1.0.0", executor("{name}"), subcommand("{name}", "verb {name}"))

    def execute_step(self, context, executor_input):
        return StepResult(exit_code=0)

    def run(self, context, subcommand_input):
        return ExitInfo(exit_code=0)
"""


def install_fake_plugins(site: Path, count: int) -> None:
    """Write ``count`` distributions with one ``harmont.plugins`` entry point each."""
    for index in range(count):
        name = f"bench-plugin-{index:02d}"
        module = name.replace("-", "_")
        (site / f"{module}.py").write_text(PLUGIN.format(name=name))
        dist_info = site / f"{module}-1.0.0.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n"
        )
        (dist_info / "entry_points.txt").write_text(
            f"[harmont.plugins]\n{name} = {module}:Plugin\n"
        )


def make_venv(root: Path) -> tuple[Path, Path, Path]:
    """A throwaway venv that sees this environment's packages; its python, hm, site dir."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root)], check=True)
    python = root / "bin" / "python"
    site = Path(
        subprocess.run(
            [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # addsitedir also runs the .pth files there, which is how an editable harmont is found.
    here = sysconfig.get_paths()["purelib"]
    (site / "harmont-bench.pth").write_text(f"import site; site.addsitedir({here!r})\n")
    script = Path(shutil.which("hm", path=str(Path(sys.executable).parent)) or "hm")
    hm = root / "bin" / "hm"
    body = script.read_text().split("\n", 1)[1]  # pip's console script, our shebang
    hm.write_text(f"#!{python}\n{body}")
    hm.chmod(0o755)
    return python, hm, site


def median_seconds(
    command: list[str], env: dict[str, str], runs: int, before: Callable[[], None] | None = None
) -> float:
    """Median wall time of ``runs`` runs of ``command`` (after one warm-up run)."""
    subprocess.run(command, env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    """Measure and print the start-up ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hm-bench-") as tmp:
        python, hm, site = make_venv(Path(tmp) / "venv")
        install_fake_plugins(site, PLUGINS)
        cache = Path(tmp) / "cache"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HM_", "XDG_"))}
        env.pop("PYTHONPATH", None)
        env.update(HOME=tmp, XDG_CACHE_HOME=str(cache))
        listed = subprocess.run(
            [hm, "--help"], env=env, check=True, capture_output=True, text=True
        ).stdout
        if "bench-plugin-19" not in listed:
            raise SystemExit("the fake plugins did not load; the measurement would be wrong")

        def drop_index() -> None:
            shutil.rmtree(cache, ignore_errors=True)

        builtins_only = {**env, "HM_NO_PLUGIN_AUTOLOAD": "1"}
        hm_ = str(hm)
        rows = [
            ("python -c pass", median_seconds([str(python), "-c", "pass"], env, options.runs)),
            ("hm --version (goal <= 2x)", median_seconds([hm_, "--version"], env, options.runs)),
            (
                f"hm --help, {PLUGINS} plugins (goal <= 4x)",
                median_seconds([hm_, "--help"], env, options.runs),
            ),
            (
                f"hm bench-plugin-00 --help, {PLUGINS} plugins",
                median_seconds([hm_, "bench-plugin-00", "--help"], env, options.runs),
            ),
            (
                "hm --help, built-ins only",
                median_seconds([hm_, "--help"], builtins_only, options.runs),
            ),
            (
                f"hm --help, {PLUGINS} plugins, index cold",
                median_seconds([hm_, "--help"], env, options.runs, before=drop_index),
            ),
        ]
        bare = rows[0][1]
        for label, seconds in rows:
            print(f"{label:<40} {seconds * 1000:7.1f} ms  x{seconds / bare:.2f}")


if __name__ == "__main__":
    main()
