"""Raises ValueError: an OTP version that is no number."""

from __future__ import annotations

import harmont as hm

hm.elixir(otp_version="OTP-27")
