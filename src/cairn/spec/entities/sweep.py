"""Hyperparameter sweeps: search space, sampling, objective, limits and early termination
(Azure `_schema/_sweep/*`, azure-compat.md §2.2, §7).

Numbers keep their YAML type (Azure tries a strict integer before a float), so `q: 1` stays an
integer step and `q: 0.5` a fractional one.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import StrictFloat, StrictInt, StrictStr, Tag

from cairn.spec.entities.base import LOWER, Entity, choose_by, tag_of

Number = StrictInt | float

ChoiceScalar = StrictInt | StrictFloat | StrictStr
"""A value a `choice` offers. Azure rejects booleans and lists here (write them as strings)."""


class Choice(Entity):
    type: Annotated[Literal["choice"], LOWER]
    # Azure accepts a `choice` without `values` and leaves the service to fail; a choice of
    # nothing cannot be sampled, so Cairn requires the key.
    values: list[ChoiceScalar | dict[StrictStr, NestedValue]]


class RandInt(Entity):
    type: Annotated[Literal["randint"], LOWER]
    upper: int


class Uniform(Entity):
    type: Annotated[Literal["uniform", "loguniform"], LOWER]
    min_value: Number
    max_value: Number


class QUniform(Entity):
    type: Annotated[Literal["quniform", "qloguniform"], LOWER]
    min_value: Number
    max_value: Number
    q: Number


class Normal(Entity):
    type: Annotated[Literal["normal", "lognormal"], LOWER]
    mu: Number
    sigma: Number


class QNormal(Entity):
    type: Annotated[Literal["qnormal", "qlognormal"], LOWER]
    mu: Number
    sigma: Number
    q: Number


_SPACE_TAGS = {
    "choice": "<choice>",
    "randint": "<randint>",
    "uniform": "<uniform>",
    "loguniform": "<uniform>",
    "quniform": "<quniform>",
    "qloguniform": "<quniform>",
    "normal": "<normal>",
    "lognormal": "<normal>",
    "qnormal": "<qnormal>",
    "qlognormal": "<qnormal>",
}

Distribution = Annotated[
    Annotated[Choice, Tag("<choice>")]
    | Annotated[RandInt, Tag("<randint>")]
    | Annotated[Uniform, Tag("<uniform>")]
    | Annotated[QUniform, Tag("<quniform>")]
    | Annotated[Normal, Tag("<normal>")]
    | Annotated[QNormal, Tag("<qnormal>")],
    choose_by("bad_search_space", "type", tuple(_SPACE_TAGS), lambda v: tag_of(v, _SPACE_TAGS)),
]

NestedValue = Distribution | ChoiceScalar
"""What a `choice` value that is a mapping maps its names to: a nested space or a value."""

Choice.model_rebuild()


class RandomSampling(Entity):
    type: Annotated[Literal["random"], LOWER]
    seed: int | None = None
    rule: Annotated[Literal["random", "sobol"], LOWER] | None = None
    logbase: float | StrictStr | None = None


class GridSampling(Entity):
    type: Annotated[Literal["grid"], LOWER]


class BayesianSampling(Entity):
    type: Annotated[Literal["bayesian"], LOWER]


def _sampling_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "<name>"
    return tag_of(value, {"random": "<random>", "grid": "<grid>", "bayesian": "<bayesian>"})


SamplingAlgorithm = Annotated[
    Annotated[Annotated[Literal["random", "grid", "bayesian"], LOWER], Tag("<name>")]
    | Annotated[RandomSampling, Tag("<random>")]
    | Annotated[GridSampling, Tag("<grid>")]
    | Annotated[BayesianSampling, Tag("<bayesian>")],
    choose_by("bad_sampling", "type", ("random", "grid", "bayesian"), _sampling_tag),
]


class Objective(Entity):
    goal: Annotated[Literal["minimize", "maximize"], LOWER]
    primary_metric: StrictStr


class SweepLimits(Entity):
    max_total_trials: int
    max_concurrent_trials: int | None = None
    timeout: int | None = None
    trial_timeout: int | None = None


class BanditPolicy(Entity):
    type: Annotated[Literal["bandit"], LOWER]
    slack_factor: float | None = None
    slack_amount: float | None = None
    evaluation_interval: int | None = None
    delay_evaluation: int | None = None


class MedianStoppingPolicy(Entity):
    type: Annotated[Literal["median_stopping"], LOWER]
    evaluation_interval: int | None = None
    delay_evaluation: int | None = None


class TruncationSelectionPolicy(Entity):
    type: Annotated[Literal["truncation_selection"], LOWER]
    truncation_percentage: int
    evaluation_interval: int | None = None
    delay_evaluation: int | None = None


_POLICY_TAGS = {p: f"<{p}>" for p in ("bandit", "median_stopping", "truncation_selection")}

EarlyTermination = Annotated[
    Annotated[BanditPolicy, Tag("<bandit>")]
    | Annotated[MedianStoppingPolicy, Tag("<median_stopping>")]
    | Annotated[TruncationSelectionPolicy, Tag("<truncation_selection>")],
    choose_by("bad_policy", "type", tuple(_POLICY_TAGS), lambda v: tag_of(v, _POLICY_TAGS)),
]


class SweepSettings(Entity):
    """What a sweep node and a sweep job share."""

    sampling_algorithm: SamplingAlgorithm | None = None
    search_space: dict[StrictStr, Distribution] | None = None
    objective: Objective
    limits: SweepLimits
    early_termination: EarlyTermination | None = None
