"""Messages of the insight engine (zh-CN and en)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "score.shape": "Not a valid score model here: {detail}.",
        "score.duplicate_key": "Two inputs are called '{key}'.",
        "score.weight_positive": "A weight must be a number above 0.",
        "score.normalise_one": "Give either thresholds or a linear range.",
        "score.linear_range": "The maximum must be above the minimum.",
        "score.band_range": "A band threshold must be from 0 to 100.",
        "score.bands_order": "Green must start above amber.",
        "score.thresholds_empty": "Give at least one threshold.",
        "score.points_range": "Points must be from 0 to 100.",
        "score.open_bound_last": "Only the last threshold may have no upper bound.",
        "score.thresholds_order": "Thresholds must go up.",
        "score.not_number": "The formula must give a number (it gives {type}).",
        "score.field_hidden": "You may not read '{field}'.",
        "score.table_hidden": "You may not read the table '{table}'.",
        "score.model_not_found": "There is no score model {id} here.",
        "score.sample_size": "The sample size must be from 1 to {max}.",
        "score.unknown_table": "There is no table '{table}' in this app.",
    },
    "zh-CN": {
        "score.shape": "评分模型格式不正确:{detail}。",
        "score.duplicate_key": "有两个输入项都叫“{key}”。",
        "score.weight_positive": "权重必须是大于 0 的数字。",
        "score.normalise_one": "请设置分段阈值或线性区间(二选一)。",
        "score.linear_range": "最大值必须大于最小值。",
        "score.band_range": "分档阈值必须在 0 到 100 之间。",
        "score.bands_order": "绿档的起点必须高于黄档。",
        "score.thresholds_empty": "请至少设置一个阈值。",
        "score.points_range": "分数必须在 0 到 100 之间。",
        "score.open_bound_last": "只有最后一个阈值可以不设上限。",
        "score.thresholds_order": "阈值必须递增。",
        "score.not_number": "公式的结果必须是数字(现在是 {type})。",
        "score.field_hidden": "您无权读取字段“{field}”。",
        "score.table_hidden": "您无权读取表“{table}”。",
        "score.model_not_found": "这里没有评分模型 {id}。",
        "score.sample_size": "样本数必须在 1 到 {max} 之间。",
        "score.unknown_table": "此应用中没有表“{table}”。",
    },
}
