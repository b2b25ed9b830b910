"""Pinned Elixir and OTP releases on a given image."""

from __future__ import annotations

import harmont as hm

proj = hm.elixir(elixir_version="1.17.2", otp_version="26", image="debian:bookworm")
PIPELINE = hm.pipeline([proj.test()])
