"""Score models' bodies and replies (issue 22), and a record's scores with their "why"."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cairn.api.models.base import Reply

Band = Literal["green", "amber", "red"]


class ScoreLinear(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min: float
    max: float
    invert: bool = False


class ScoreNormalise(BaseModel):
    """Either thresholds ``[[upper bound or null, points 0..100], …]`` (ascending) or a
    linear range."""

    model_config = ConfigDict(extra="forbid")
    thresholds: list[tuple[float | None, float]] | None = None
    linear: ScoreLinear | None = None


class ScoreInputBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str | None = Field(None, description="Names the input in contributions (input_<n>)")
    label: str
    formula: str = Field(description="A number formula over the record and its relations")
    explain: str = Field("", description='The explanation: "no visit for {value} days"')
    normalise: ScoreNormalise
    weight: float = Field(description="Above 0")


class ScoreBands(BaseModel):
    model_config = ConfigDict(extra="forbid")
    green: float = Field(description="Green at or above this score")
    amber: float = Field(description="Amber at or above this score (below: red)")


class ScoreModelBody(BaseModel):
    """A weighted score model over a customer table."""

    model_config = ConfigDict(extra="forbid")
    name: str
    table: str
    enabled: bool = True
    kind: Literal["weighted"] = "weighted"
    inputs: list[ScoreInputBody]
    bands: ScoreBands


class ScoreModelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    enabled: bool | None = None
    inputs: list[ScoreInputBody] | None = None
    bands: ScoreBands | None = None


class ScorePreviewBody(ScoreModelBody):
    sample: int = Field(1000, description="How many records to score (1–5000)")


class ScoreInput(Reply):
    key: str
    label: str
    formula: str
    explain: str
    normalise: dict[str, Any]
    weight: float


class ScoreLearnedWeight(Reply):
    input: str
    label: str
    coef: float = Field(description="Log-odds of churn per spread of the input")
    per: float = Field(description="The spread (one standard deviation) of the input")
    points: float = Field(
        description="What one spread more moves a typical customer's score by (< 0: churn likelier)"
    )


class ScoreLearned(Reply):
    """The learned churn model as trained (issue 22)."""

    auc: float = Field(description="On the held-out customers: 0.5 is chance, 1 perfect")
    rows: int
    churned: int
    held_out: int
    trained_at: datetime
    churn_field: str | None
    churn_field_name: str | None
    current: bool = Field(description="Trained on the model's inputs as they are now")
    weights: list[ScoreLearnedWeight]


class ScoreTraining(ScoreLearned):
    active: bool = Field(description="The learned model scores (kind learned)")


class ScoreTrainBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    churn_field: str = Field(description="A yes/no field of the model's table: churned or not")


class ScoreLearnedBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: bool = Field(description="Score with the learned model (else the weighted one)")


class ScoreModel(Reply):
    id: int
    name: str
    table: str
    enabled: bool
    kind: str = Field(description="weighted, or learned when the learned model is switched on")
    inputs: list[ScoreInput]
    bands: dict[str, float]
    learned: ScoreLearned | None = None
    created_at: datetime
    updated_at: datetime
    recomputing: bool = Field(
        False, description="Its scores are being computed in the background (a large table)"
    )


class ScoreModelList(Reply):
    items: list[ScoreModel]


class ScoreRun(Reply):
    scored: int
    changed: int
    events: int
    bands: dict[str, int]


class ScorePreview(Reply):
    count: int
    average: float | None
    buckets: list[dict[str, Any]]
    bands: dict[str, int]


class ScoreContribution(Reply):
    input: str
    label: str
    text: str = Field(description="The explanation; the label alone when hidden")
    raw: Any = Field(description="The input's value; null when the reader may not read it")
    points: float
    max: float
    impact: float = Field(description="Points of the score it costs (≤ 0)")
    weight: float
    hidden: bool


class RecordScore(Reply):
    model_id: int
    model: str
    kind: Literal["weighted", "learned"] = Field(
        description="which model scored it: the weighted inputs, or the learned churn model"
    )
    score: float
    band: Band
    bands: dict[str, float]
    computed_at: datetime
    contributions: list[ScoreContribution]
    trend: list[list[Any]] = Field(description="[[at, score], …] of the last 90 days")


class RecordScoreList(Reply):
    items: list[RecordScore]
