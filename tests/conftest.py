"""Shared fixtures of harmont's own test suite."""

from __future__ import annotations

# Our own suite uses the plugin-testing fixtures we ship (hm_home, hm_host, hm_registry).
pytest_plugins = ["harmont_sdk.testing"]
