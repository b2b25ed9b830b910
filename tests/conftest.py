"""Shared fixtures of harmont's own test suite."""

from __future__ import annotations
