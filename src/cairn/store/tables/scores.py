"""Score models (issue 22): health and churn scores of a customer table, explained input by
input, with their history.

``score_models``: one model per row (``kind`` ``weighted``, or ``learned`` once its churn model is trained and switched on), its
inputs (each a formula over the customer and its related records with a label, an explanation
template, a normalisation and a weight; fields named by ``#id``) and its bands
(``{"green": a, "amber": b}``). ``scores``: each record's latest score, band and the
contribution of each input. ``score_history``: a point whenever a record's score or band
changed, at most one per record per day (a later change that day replaces the day's point)."""

from __future__ import annotations

import sqlalchemy as sa

from cairn.store.tables.base import ID, id_column, metadata

score_models = sa.Table(
    "score_models",
    metadata,
    id_column(),
    sa.Column("app_id", ID, nullable=False),
    sa.Column("table_id", ID, nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("kind", sa.String(16), nullable=False, server_default="weighted"),
    sa.Column("inputs", sa.JSON, nullable=False),
    sa.Column("bands", sa.JSON, nullable=False),
    #: The learned churn model once trained (``insight.learned_run``): the ``Trained`` numbers,
    #: the churn field, when, and the inputs it was trained on. Used when ``kind`` is learned.
    sa.Column("learned", sa.JSON),
    sa.Column("created_by", ID),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Index("ix_score_models_table_id", "table_id"),
)

scores = sa.Table(
    "scores",
    metadata,
    sa.Column("model_id", ID, primary_key=True),
    sa.Column("record_id", ID, primary_key=True),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("band", sa.String(16), nullable=False),
    sa.Column("contributions", sa.JSON, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.Index("ix_scores_model_id", "model_id", "band"),
)

score_history = sa.Table(
    "score_history",
    metadata,
    id_column(),
    sa.Column("model_id", ID, nullable=False),
    sa.Column("record_id", ID, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("band", sa.String(16), nullable=False),
    sa.Index("ix_score_history_model_id", "model_id", "record_id", "at"),
)
