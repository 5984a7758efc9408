"""The plan layer: a validated pipeline plus workspace lookups become one frozen `Plan`.

The plan is what runs: every step with its resolved component, environment, compute, input
sources and output destinations, and a reuse key. It is stored with the job; nothing downstream
reads YAML again. Compilation is pure given a `Workspace` (the lookups it needs are injected).
"""

from cairn.plan.model import Plan, PlanStep

__all__ = ["Plan", "PlanStep"]
