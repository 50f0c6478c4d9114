"""Messages of the customer timeline (zh-CN and en)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "timeline.shape": 'Send the timeline as {{"sources": [...], "notable_fields": {{table: [field keys]}}, "system": [kinds]}}.',
        "timeline.source_shape": 'A source is {{"path", "date_field", "title", "label"}}.',
        "timeline.path_length": "A path is a list of 1 to {max} relation field keys.",
        "timeline.path": "'{key}' is not a relation field of the table this step of the path starts from.",
        "timeline.date_field": "'{key}' is not a date or date-time field of the source table.",
        "timeline.title_key": "The title names '{key}', which is not a field of the source table that a title can show.",
        "timeline.too_many": "At most {max} sources.",
        "timeline.notable_table": "'{key}' is neither the customer table nor a source table of the timeline.",
        "timeline.system": "A system kind is one of: {kinds}.",
        "timeline.cursor": "This paging cursor is not one the timeline gave out.",
        "timeline.kind": "'{kind}' is not a kind of this timeline.",
        "timeline.no_view": "This app has no customer view on table '{table}'.",
    },
    "zh-CN": {
        "timeline.shape": '时间线请提交 {{"sources": [...], "notable_fields": {{表: [字段标识]}}, "system": [类型]}}。',
        "timeline.source_shape": '来源应为 {{"path", "date_field", "title", "label"}}。',
        "timeline.path_length": "路径是 1 到 {max} 个关联字段标识的列表。",
        "timeline.path": "“{key}”不是路径这一步所在表的关联字段。",
        "timeline.date_field": "“{key}”不是来源表的日期或日期时间字段。",
        "timeline.title_key": "标题引用了“{key}”，它不是来源表中可用于标题的字段。",
        "timeline.too_many": "最多 {max} 个来源。",
        "timeline.notable_table": "“{key}”既不是客户表，也不是时间线的来源表。",
        "timeline.system": "系统类型只能是：{kinds}。",
        "timeline.cursor": "此分页游标不是时间线给出的。",
        "timeline.kind": "“{kind}”不是此时间线的类型。",
        "timeline.no_view": "此应用没有以表“{table}”为客户表的客户视图。",
    },
}
