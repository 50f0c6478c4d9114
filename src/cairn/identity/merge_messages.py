"""The messages of One-ID merges and unmerges in zh-CN and en."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "merge.same_record": "A record cannot be merged with itself.",
        "merge.other_table": "Records of different tables cannot be merged ('{table}' and '{other}').",
        "merge.tombstone": "Record {id} was merged into record {into}: it cannot take part in another merge.",
        "merge.choice": 'For "{field}" choose "survivor", "loser" or {{"value": …}}.',
        "merge.choice_field": "'{field}' is merged as a whole (links, rows or a computed value): it takes no choice.",
        "merge.not_found": "There is no merge {id}.",
        "merge.not_merged": "Merge {id} was undone already.",
        "merge.survivor_merged": "Record {id} was merged into record {into} since: undo that merge first.",
        "merge.survivor_deleted": "Record {id} is in the recycle bin: restore it before undoing the merge.",
        "merge.suggestion": "Suggestion {id} is not about these two records.",
        "merge.restore_tombstone": "Record {id} was merged into record {into}: undo the merge instead.",
    },
    "zh-CN": {
        "merge.same_record": "记录不能与自身合并。",
        "merge.other_table": "不同表的记录不能合并（“{table}”与“{other}”）。",
        "merge.tombstone": "记录 {id} 已合并到记录 {into}，不能再参与合并。",
        "merge.choice": '请为“{field}”选择 "survivor"、"loser" 或 {{"value": …}}。',
        "merge.choice_field": "“{field}”整体合并（关联、子表行或计算值），不能手动选择。",
        "merge.not_found": "合并 {id} 不存在。",
        "merge.not_merged": "合并 {id} 已被撤销。",
        "merge.survivor_merged": "记录 {id} 之后又合并到了记录 {into}：请先撤销那次合并。",
        "merge.survivor_deleted": "记录 {id} 在回收站中：请先恢复它，再撤销合并。",
        "merge.suggestion": "建议 {id} 与这两条记录无关。",
        "merge.restore_tombstone": "记录 {id} 已合并到记录 {into}：请撤销合并，而不是恢复它。",
    },
}
