"""The messages of integrations in zh-CN and en: message templates, notifications, channels and app
packages.

``cairn.integrations`` registers them with ``cairn.core.i18n`` when it is imported."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "package.yaml": "The package is not valid YAML: {detail}",
        "package.shape": "The package is not valid: {detail}",
        "package.exists": "An app with the key '{key}' exists already.",
        "template.not_found": "There is no template '{template}'.",
        "template.syntax": "The template has a syntax error on line {line}: {detail}",
        "template.unknown_name": "The template uses a name that does not exist: {detail}",
        "template.unsafe": "The template tries to reach something it may not (only field values and simple filters are allowed).",
        "template.failed": "The template could not be rendered: {detail}",
        "template.too_long": "The rendered message is longer than {max} characters.",
        "template.not_json": "The template does not produce valid JSON.",
        "notify.channel_unknown": "There is no notification channel '{channel}'.",
        "notify.inapp_only": "Only in-app notifications can be written inside a transaction ('{channel}' sends outside).",
        "notify.cursor": "Not a valid page cursor.",
        "notification.not_found": "There is no notification {id}.",
        "channel.failed": "Sending through '{channel}' failed: {detail}",
        "channel.not_found": "There is no channel configuration '{key}'.",
        "channel.key_format": "A channel key is lowercase letters, digits, '_', '-', '.' and ':' (e.g. wecom:service-group), at most 100 characters.",
        "delivery.not_found": "There is no delivery {id}.",
        "delivery.replay_scope": "Say which failed deliveries to replay: a channel, a rule or both.",
    },
    "zh-CN": {
        "package.yaml": "应用包不是有效的 YAML：{detail}",
        "package.shape": "应用包无效：{detail}",
        "package.exists": "标识为“{key}”的应用已存在。",
        "template.not_found": "模板“{template}”不存在。",
        "template.syntax": "模板第 {line} 行有语法错误：{detail}",
        "template.unknown_name": "模板使用了不存在的名称：{detail}",
        "template.unsafe": "模板试图访问不允许的内容（只能使用字段值和简单过滤器）。",
        "template.failed": "模板无法渲染：{detail}",
        "template.too_long": "渲染后的消息超过 {max} 个字符。",
        "template.not_json": "模板生成的不是有效的 JSON。",
        "notify.channel_unknown": "没有名为“{channel}”的通知渠道。",
        "notify.inapp_only": "只有站内通知可以在事务内写入（“{channel}”需要对外发送）。",
        "notify.cursor": "分页游标无效。",
        "notification.not_found": "通知 {id} 不存在。",
        "channel.failed": "通过“{channel}”发送失败：{detail}",
        "channel.not_found": "渠道配置“{key}”不存在。",
        "channel.key_format": "渠道键只能包含小写字母、数字、“_”、“-”、“.”和“:”（例如 wecom:service-group），最多 100 个字符。",
        "delivery.not_found": "投递记录 {id} 不存在。",
        "delivery.replay_scope": "请指定要重新投递的失败记录：渠道、规则或两者。",
    },
}
