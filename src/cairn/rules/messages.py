"""The messages of the rule engine in zh-CN and en: rules, triggers and actions.

``cairn.rules`` registers them with ``cairn.core.i18n`` when it is imported."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "rule.not_found": "There is no rule {id}.",
        "rule.table_unknown": "There is no table '{table}' in this app.",
        "rule.field_type": "The field '{field}' cannot be used here (wrong type).",
        "rule.from_to_one_field": "'from' and 'to' need an update trigger on exactly one field.",
        "rule.date_only": "A time of day and 'yearly' apply to date fields only.",
        "rule.cron": "'{cron}' is not a valid cron expression.",
        "rule.relation": "'{field}' is not a relation field of this table.",
        "rule.interaction_kind": "'{kind}' is no kind of interaction; the kinds: {kinds}.",
        "rule.mapping_empty": "Map at least one field from the webhook's JSON.",
        "rule.match_unmapped": "The match field '{field}' must be mapped too.",
        "rule.values_empty": "Give at least one field value.",
        "rule.channel": "There is no notification channel '{channel}'.",
        "rule.url": "The address must start with http:// or https://.",
        "rule.no_forecast": "Only date, schedule and inactivity rules have a forecast.",
        "rule.owner_gone": "The rule's owner is no longer an active user; give the rule a new owner.",
        "rule.update_conflict": "The record kept changing while the rule updated it.",
        "rule.template": "The template is not valid: {detail}",
        "rule.type_unknown": "There is no type '{type}' here.",
        "rule.cron_never": "'{cron}' never fires (no occurrence in the next five years).",
        "rule.recipient": "'{recipient}' is not a recipient: use a user, a role, a field, "
        "the owner, the owner's manager, an e-mail address or a phone number.",
        "rule.recipient_field": "The field '{field}' holds no user, e-mail address or phone "
        "number.",
        "rule.recipient_user": "There is no active user '{user}'.",
        "rule.recipient_role": "There is no role '{role}'.",
        "rule.not_webhook": "Only an inbound-webhook rule has a secret.",
    },
    "zh-CN": {
        "rule.not_found": "规则 {id} 不存在。",
        "rule.table_unknown": "此应用没有表“{table}”。",
        "rule.field_type": "字段“{field}”不能用在这里（类型不符）。",
        "rule.from_to_one_field": "“从”和“到”只适用于针对一个字段的更新触发。",
        "rule.date_only": "时刻和“每年”只适用于日期字段。",
        "rule.cron": "“{cron}”不是有效的 cron 表达式。",
        "rule.relation": "“{field}”不是此表的关联字段。",
        "rule.interaction_kind": "“{kind}”不是互动类型；可选：{kinds}。",
        "rule.mapping_empty": "请至少映射一个来自 Webhook JSON 的字段。",
        "rule.match_unmapped": "匹配字段“{field}”也必须被映射。",
        "rule.values_empty": "请至少给出一个字段值。",
        "rule.channel": "没有通知渠道“{channel}”。",
        "rule.url": "地址必须以 http:// 或 https:// 开头。",
        "rule.no_forecast": "只有日期、定时和不活跃规则有触发预测。",
        "rule.owner_gone": "规则的负责人已不是有效用户，请为规则指定新的负责人。",
        "rule.update_conflict": "规则更新记录时，记录一直在被修改。",
        "rule.template": "模板无效：{detail}",
        "rule.type_unknown": "没有类型“{type}”。",
        "rule.cron_never": "“{cron}”永远不会触发（未来五年内没有一次）。",
        "rule.recipient": "“{recipient}”不是有效的接收人：请选择用户、角色、字段、负责人、"
        "负责人的上级、邮箱地址或手机号。",
        "rule.recipient_field": "字段“{field}”不是用户、邮箱或手机号字段。",
        "rule.recipient_user": "没有有效用户“{user}”。",
        "rule.recipient_role": "没有角色“{role}”。",
        "rule.not_webhook": "只有入站 Webhook 规则有密钥。",
    },
}
