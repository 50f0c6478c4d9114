"""The messages of segments in zh-CN and en (registered when ``cairn.insight.segments`` loads)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "segment.not_found": "There is no segment {id} in this app.",
        "segment.name": "Give the segment a name of 1 to {max} characters.",
        "segment.kind": "The kind must be one of: {kinds}.",
        "segment.refresh": "Refresh must be one of: {values}, or empty.",
        "segment.table": "This app has no table '{table}'.",
        "segment.static_only": "Members are added and removed by hand only in a static segment.",
        "segment.dynamic_only": "Only a dynamic segment is evaluated or frozen.",
        "segment.ids": "Give 1 to {max} record ids.",
        "segment.table_fixed": "A segment's table cannot change; make a new segment.",
        "rule.segment_unknown": "There is no segment {segment} on this rule's table.",
    },
    "zh-CN": {
        "segment.not_found": "本应用没有分群 {id}。",
        "segment.name": "分群名称须为 1 到 {max} 个字符。",
        "segment.kind": "类型须为以下之一：{kinds}。",
        "segment.refresh": "刷新方式须为以下之一：{values}，或留空。",
        "segment.table": "本应用没有表“{table}”。",
        "segment.static_only": "只有静态分群可以手动添加和移除成员。",
        "segment.dynamic_only": "只有动态分群可以重新计算或冻结。",
        "segment.ids": "请给出 1 到 {max} 个记录编号。",
        "segment.table_fixed": "分群的表不能更改，请新建一个分群。",
        "rule.segment_unknown": "本规则的表上没有分群 {segment}。",
    },
}
