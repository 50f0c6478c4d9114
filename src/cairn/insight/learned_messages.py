"""The messages of the learned churn model in zh-CN and en (registered when ``cairn.insight``
loads)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "score.learned_no_inputs": "The model has no inputs to learn from.",
        "score.learned_too_few": (
            "Too little history to learn from: {rows} customers, {churned} of them churned. "
            "It takes at least {min_rows} customers and {min_each} of each outcome."
        ),
        "score.churn_field": "'{field}' cannot say who churned: choose a yes/no field of the customer table.",
        "score.not_trained": "Train the learned model before switching it on.",
        "score.learned_stale": (
            "The model's inputs changed since the learned model was trained: train it again."
        ),
    },
    "zh-CN": {
        "score.learned_no_inputs": "模型没有可供学习的输入项。",
        "score.learned_too_few": (
            "历史数据太少，无法学习：共 {rows} 位客户，其中 {churned} 位已流失。"
            "至少需要 {min_rows} 位客户，流失与未流失各至少 {min_each} 位。"
        ),
        "score.churn_field": "“{field}”无法表示是否流失：请选择客户表中的一个是/否字段。",
        "score.not_trained": "请先训练学习模型，再启用它。",
        "score.learned_stale": "训练之后模型的输入项已更改：请重新训练。",
    },
}
