"""The messages of tags (the vocabulary, tags on records, the ``_tags`` filter, the tag rule
actions, tags in an import) in zh-CN and en (registered when ``cairn.insight`` loads)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "tag.attr": "'{attr}' is not an attribute of a tag.",
        "tag.name": "Give the tag a name of 1 to {max} characters.",
        "tag.name_taken": "The app already has a tag named '{name}'.",
        "tag.colour": "The colour must be one of {palette}, or #rrggbb.",
        "tag.group": "A group name has at most {max} characters.",
        "tag.description": "A description has at most {max} characters.",
        "tag.position": "The position must be a whole number, 0 or more.",
        "tag.not_found": "There is no tag {id} in this app.",
        "tag.unknown": "There is no tag {id} in this app.",
        "tag.unknown_name": "There is no tag named '{name}' in this app.",
        "tag.ids": "Give a list of at most {max} tag ids.",
        "tag.record_ids": "Give 1 to {max} record ids.",
        "tag.none": "Give at least one tag to add or remove.",
        "tag.choose": "Choose at least one tag.",
        "tag.too_many": "An app has at most {max} tags.",
        "tag.source": "The source must be one of: {sources}.",
        "tag.filter_op": "Tags are filtered with has_any, has_all or has_none.",
    },
    "zh-CN": {
        "tag.attr": "“{attr}”不是标签的属性。",
        "tag.name": "标签名称需为 1 到 {max} 个字符。",
        "tag.name_taken": "本应用已有名为“{name}”的标签。",
        "tag.colour": "颜色必须是 {palette} 之一，或 #rrggbb 格式。",
        "tag.group": "分组名称最多 {max} 个字符。",
        "tag.description": "描述最多 {max} 个字符。",
        "tag.position": "位置必须是大于等于 0 的整数。",
        "tag.not_found": "本应用没有标签 {id}。",
        "tag.unknown": "本应用没有标签 {id}。",
        "tag.unknown_name": "本应用没有名为“{name}”的标签。",
        "tag.ids": "请给出标签 ID 列表，最多 {max} 个。",
        "tag.record_ids": "请给出 1 到 {max} 个记录 ID。",
        "tag.none": "请至少给出一个要添加或移除的标签。",
        "tag.choose": "请至少选择一个标签。",
        "tag.too_many": "一个应用最多有 {max} 个标签。",
        "tag.source": "来源必须是以下之一：{sources}。",
        "tag.filter_op": "标签只能用“包含任一”“包含全部”“都不包含”筛选。",
    },
}
