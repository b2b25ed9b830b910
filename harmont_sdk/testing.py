"""
A pytest plugin for testing harmont plugins against a real host in a temporary home.

Opt-in, like pytest's pytester: enable it with ``pytest_plugins = ["harmont_sdk.testing"]``
in a ``conftest.py`` or with ``-p harmont_sdk.testing``. Fixtures:

- ``hm_home``: a temporary ``HOME`` (and XDG directories) with plugin autoload off, so
  nothing installed on the machine leaks into the test, and nothing the test does (the
  capability index `hm` caches, for one) lands in the user's own directories.
- ``hm_host``: a real :class:`harmont.Host` whose persistent state lives in ``hm_home``.
- ``hm_registry``: a fresh registry with only harmont's built-ins, on ``hm_host``; add
  the plugin under test with ``hm_registry.register(MyPlugin())``.

The helpers :func:`execute_step`, :func:`run_subcommand` and :func:`send_event` call a
registered plugin exactly as `hm` would, through the registry.

Example::

    pytest_plugins = ["harmont_sdk.testing"]

    def test_echo(hm_registry, capfdbinary):
        hm_registry.register(Echo())
        assert 0 == run_subcommand(hm_registry, ["echo"]).exit_code
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import pytest

from harmont.protocol import HookEvent, HookPhase, SubcommandInput

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

    from harmont import Host, Registry
    from harmont.protocol import (
        BuildEvent,
        ExecutorInput,
        ExitInfo,
        HookOutcome,
        StepResult,
        Value,
    )

__all__ = ["execute_step", "hm_home", "hm_host", "hm_registry", "run_subcommand", "send_event"]


@pytest.fixture
def hm_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary home directory; plugin autoload and ``HM_*`` plugin settings are off."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("HM_NO_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("HM_DISABLE_PLUGINS", raising=False)
    monkeypatch.delenv("HM_PLUGIN_PATH", raising=False)
    return home


@pytest.fixture
def hm_host(hm_home: Path) -> Iterator[Host]:
    """A real host with its state under ``hm_home`` and ``hm_home`` as the project root."""
    from harmont import Host

    with Host(project_root=hm_home, state_dir=hm_home / ".local" / "state" / "harmont") as host:
        yield host


@pytest.fixture
def hm_registry(hm_host: Host) -> Iterator[Registry]:
    """A fresh registry with only harmont's built-in plugins, talking to ``hm_host``."""
    from harmont import load_registry

    with load_registry(autoload=False, host=hm_host) as registry:
        yield registry


def execute_step(
    registry: Registry,
    executor_input: ExecutorInput,
    *,
    runner: str | None = None,
) -> StepResult:
    """Run ``executor_input`` on ``runner`` (default: the step's runner, else the default)."""
    name = registry.resolve_runner(runner or executor_input.step.runner)
    context = registry.host.context(
        registry.owner_of_runner(name),
        run_id=executor_input.run_id,
        step_id=executor_input.step_id,
    )
    return registry.execute_step(name, context, executor_input)


def run_subcommand(
    registry: Registry,
    verb_path: Sequence[str],
    args: Mapping[str, Value] | None = None,
    *,
    env: Mapping[str, str] | None = None,
) -> ExitInfo:
    """Run the plugin verb ``verb_path`` with already-parsed ``args``, as `hm` would."""
    subcommand_input = SubcommandInput(
        verb_path=tuple(verb_path), args=dict(args or {}), env=dict(env or {})
    )
    context = registry.host.context(registry.owner_of_verb(verb_path[0]))
    return registry.run_subcommand(verb_path[0], context, subcommand_input)


def send_event(
    registry: Registry,
    event: BuildEvent,
    phase: HookPhase = HookPhase.AFTER,
    *,
    run_id: uuid.UUID | None = None,
) -> HookOutcome:
    """Deliver ``event`` in ``phase`` to every subscribed hook of ``registry``."""
    run = run_id or uuid.uuid4()
    return registry.dispatch_hook(
        HookEvent(event=event, phase=phase),
        lambda plugin: registry.host.context(plugin, run_id=run),
    )
