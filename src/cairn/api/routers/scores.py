"""Score models of an app (health, churn) and a record's scores with their explanations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from cairn.api.deps import PrincipalDep, SchemaManager, ServicesDep
from cairn.api.models.scores import (
    RecordScoreList,
    ScoreLearnedBody,
    ScoreModel,
    ScoreModelBody,
    ScoreModelList,
    ScoreModelPatch,
    ScorePreview,
    ScorePreviewBody,
    ScoreRun,
    ScoreTrainBody,
    ScoreTraining,
)
from cairn.api.schemas import Id
from cairn.services.score_learning import ScoreLearning

# Reading the models: any member (like a table's design); changing, computing and previewing
# them: administrators and the app's managers.
router = APIRouter(prefix="/api/v1/apps/{app}", tags=["scores"])


@router.get("/score-models", response_model=ScoreModelList)
def list_score_models(app: str, services: ServicesDep, principal: PrincipalDep) -> dict[str, Any]:
    return {"items": services.scores.list(app, principal)}


@router.post(
    "/score-models", status_code=201, dependencies=[SchemaManager], response_model=ScoreModel
)
def create_score_model(
    app: str, body: ScoreModelBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A model is checked with its author's permissions: every input must be a number formula
    over fields the author may read."""
    return services.scores.create(app, body.model_dump(), principal)


@router.post("/score-models/preview", dependencies=[SchemaManager], response_model=ScorePreview)
def preview_score_model(
    app: str, body: ScorePreviewBody, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """A draft model scored over a sample of its table (nothing saved): the distribution in
    ten buckets and the count per band."""
    data = body.model_dump()
    sample = data.pop("sample")
    return services.scores.preview(app, data, sample, principal)


@router.get("/score-models/{score_model_id}", response_model=ScoreModel)
def get_score_model(
    app: str, score_model_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    return services.scores.get(app, score_model_id, principal)


@router.patch(
    "/score-models/{score_model_id}", dependencies=[SchemaManager], response_model=ScoreModel
)
def update_score_model(
    app: str,
    score_model_id: Id,
    body: ScoreModelPatch,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    return services.scores.update(
        app, score_model_id, body.model_dump(exclude_unset=True), principal
    )


@router.delete("/score-models/{score_model_id}", status_code=204, dependencies=[SchemaManager])
def delete_score_model(
    app: str, score_model_id: Id, services: ServicesDep, principal: PrincipalDep
) -> Response:
    services.scores.delete(app, score_model_id, principal)
    return Response(status_code=204)


@router.post(
    "/score-models/{score_model_id}/compute", dependencies=[SchemaManager], response_model=ScoreRun
)
def compute_score_model(
    app: str, score_model_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Score the whole table now (the nightly run and record events do it otherwise)."""
    return services.scores.compute(app, score_model_id, principal)


@router.get("/tables/{table}/records/{record_id}/score", response_model=RecordScoreList)
def get_record_score(
    app: str, table: str, record_id: Id, services: ServicesDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The record's score under each enabled model (readers of the record): the contributions
    largest cost first, and the trend. An input whose formula reads a field the reader may
    not read shows its label and points, never its value."""
    return {"items": services.scores.of_record(app, table, record_id, principal)}


# -- the learned churn model -------------------------------------------------------------------
@router.post(
    "/score-models/{score_model_id}/train",
    dependencies=[SchemaManager],
    response_model=ScoreTraining,
)
def train_score_model(
    app: str,
    score_model_id: Id,
    body: ScoreTrainBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Train the learned churn model on the table's history against a yes/no churn field:
    the AUC on held-out customers and each input's weight. It is not switched on."""
    return ScoreLearning(services).train(app, score_model_id, body.churn_field, principal)


@router.post(
    "/score-models/{score_model_id}/learned",
    dependencies=[SchemaManager],
    response_model=ScoreModel,
)
def set_score_model_learned(
    app: str,
    score_model_id: Id,
    body: ScoreLearnedBody,
    services: ServicesDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Score with the learned model (``on``: refused until it is trained on the model's
    inputs as they are) or with the weighted one; the table is scored again."""
    return ScoreLearning(services).activate(app, score_model_id, body.on, principal)
