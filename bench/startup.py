"""
Start-up cost of `hm`: `hm --help` with 20 installed entry-point plugins, against `python -c pass`.

`hm --help` must list plugin verbs, so it imports every plugin and reads its manifest; this
measures what that costs on top of a bare interpreter. The 20 plugins are
fake distributions (a dist-info with a `harmont.plugins` entry point and a small module
declaring a runner and a verb) on a temporary PYTHONPATH.

Run: `python bench/startup.py [--runs N]`. Prints the median wall time of each command and
its ratio to `python -c pass`; the built-ins-only line (``HM_NO_PLUGIN_AUTOLOAD=1``) separates
what the 20 plugins cost from what hm's own imports cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def median_seconds(command: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time of ``runs`` runs of ``command`` (after one warm-up run)."""
    subprocess.run(command, env=env, check=True, capture_output=True)
    times = []
    for _ in range(runs):
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
        site = Path(tmp)
        install_fake_plugins(site, PLUGINS)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HM_")}
        env["PYTHONPATH"] = str(site)
        env["HOME"] = tmp
        hm = [sys.executable, "-m", "harmont_cli"]
        listed = subprocess.run(
            [*hm, "--help"], env=env, check=True, capture_output=True, text=True
        ).stdout
        if "bench-plugin-19" not in listed:
            raise SystemExit("the fake plugins did not load; the measurement would be wrong")
        builtins_only = {**env, "HM_NO_PLUGIN_AUTOLOAD": "1"}
        rows = [
            ("python -c pass", median_seconds([sys.executable, "-c", "pass"], env, options.runs)),
            ("hm --version", median_seconds([*hm, "--version"], env, options.runs)),
            (
                "hm --help (built-ins only)",
                median_seconds([*hm, "--help"], builtins_only, options.runs),
            ),
            (
                f"hm --help ({PLUGINS} entry-point plugins)",
                median_seconds([*hm, "--help"], env, options.runs),
            ),
        ]
        bare = rows[0][1]
        for label, seconds in rows:
            print(f"{label:<36} {seconds * 1000:7.1f} ms  x{seconds / bare:.1f}")


if __name__ == "__main__":
    main()
