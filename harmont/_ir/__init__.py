"""
The IR: loading the three wire forms into one immutable model, and planning it.

Public names are re-exported from :mod:`harmont`; this package is private.
"""

from __future__ import annotations

from harmont._ir._envelope import SLUG_PATTERN as SLUG_PATTERN
from harmont._ir._envelope import choose_slug as choose_slug
from harmont._ir._load import IRSource as IRSource
from harmont._ir._load import load_definition as load_definition
from harmont._ir._load import load_envelope as load_envelope
from harmont._ir._load import load_ir as load_ir
from harmont._ir._load import parse_pipeline as parse_pipeline
from harmont._ir._load import select_definition as select_definition
from harmont._ir._model import Definition as Definition
from harmont._ir._model import Dependency as Dependency
from harmont._ir._model import PipelineIR as PipelineIR
from harmont._ir._model import Registration as Registration
from harmont._ir._plan import Chain as Chain
from harmont._ir._plan import ChainDependency as ChainDependency
from harmont._ir._plan import Plan as Plan
from harmont._ir._plan import plan as plan

__all__ = [
    "SLUG_PATTERN",
    "Chain",
    "ChainDependency",
    "Definition",
    "Dependency",
    "IRSource",
    "PipelineIR",
    "Plan",
    "Registration",
    "choose_slug",
    "load_definition",
    "load_envelope",
    "load_ir",
    "parse_pipeline",
    "plan",
    "select_definition",
]

# Reprs and tracebacks show where users import these from, not our private layout.
for _class in (Chain, ChainDependency, Dependency, PipelineIR, Plan, Registration):
    _class.__module__ = "harmont"
del _class
