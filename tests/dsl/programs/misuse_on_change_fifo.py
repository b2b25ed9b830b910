"""Raises FileNotFoundError: an on_change path that is neither a file nor a directory."""

from __future__ import annotations

import os

import harmont as hm

os.mkfifo("events.fifo")
PIPELINE = hm.pipeline([hm.sh("make", cache=hm.on_change("events.fifo"))])
