"""
First-party step executors: ordinary plugins, loaded through our own entry points.

The orchestrator never imports them; it asks the registry which plugin owns a runner.
"""

from __future__ import annotations

__all__: list[str] = []
