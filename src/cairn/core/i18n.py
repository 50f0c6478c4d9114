"""The message catalogue (zh-CN and en) for errors and labels, and Accept-Language matching.

The catalogue holds the generic messages (bad input, keys, sign-in and permissions, the test
clock, the working calendar); each engine keeps its own in its ``messages.py`` and registers them
here when its package is imported (``register_messages``), so a new feature adds its messages
beside its code instead of editing this file.
"""

from __future__ import annotations

from typing import Any

from cairn.core.errors import Message

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

#: Every registered message: language → key → text (``str.format`` template).
CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "invalid.input": "The input is not valid.",
        "invalid.json": "The request body is not valid JSON.",
        "invalid.body": "{detail}",
        "invalid.extra": "Unexpected property '{key}'.",
        "invalid.list": "Expected a list.",
        "invalid.object": "Expected an object.",
        "invalid.too_many": "At most {max} items.",
        "invalid.too_few": "At least {min} items.",
        "invalid.greater": "Must be greater than {min}.",
        "invalid.less": "Must be less than {max}.",
        "key.format": "A key must be ASCII snake_case: a lowercase letter, then letters, digits or _ (at most 63).",
        "key.reserved": "'{key}' is reserved.",
        "key.taken": "The key '{key}' is already used here.",
        "keys.none": "No encryption key is configured: set CAIRN_ENCRYPTION_KEYS (cairn keys generate prints one).",
        "clock.disabled": "There is no test clock: start Cairn with CAIRN_TEST_CLOCK=true.",
        "clock.one_of": "Give either 'by' (a duration such as 3d) or 'to' (an instant), not both.",
        "clock.duration": "Expected a duration such as 3d, 2h30m or 1w (w, d, h, m, s; largest unit first; more than 0 and at most 3650 days).",
        "clock.instant": "Expected an instant in ISO 8601 with a time zone, e.g. 2026-02-05T09:00:00+08:00.",
        "clock.backwards": "The test clock only moves forward: {to} is not after its time now, {now}.",
        "clock.too_far": "The test clock moves at most 3650 days at a time.",
        "clock.moved": "The test clock was moved by someone else meanwhile; read it and try again.",
        "server.error": "Something went wrong on the server; nothing was changed.",
        "not_found": "Not found.",
        "method_not_allowed": "This method is not allowed here.",
        "calendar.exists": "{day} already has an entry in the working calendar.",
        "calendar.not_found": "{day} has no entry in the working calendar.",
        "calendar.range": "The working calendar covers {first} to {last}.",
        "auth.required": "Sign in first.",
        "auth.bad_credentials": "The user name or password is wrong.",
        "auth.locked": "Too many failed sign-ins: try again in {minutes} minutes.",
        "auth.csrf": "The request lacks a valid X-CSRF-Token header.",
        "auth.read_only_token": "This API token may only read.",
        "auth.forbidden": "You are not allowed to do this.",
        "auth.admin_only": "Only an administrator may do this.",
        "auth.table_denied": "You may not do this with the records of this table.",
        "auth.field_denied": "You may not change the field '{field}'.",
        "auth.last_admin": "At least one active administrator must remain.",
        "password.too_short": "A password needs at least {min} characters.",
        "password.classes": "A password needs letters and digits.",
        "password.same_as_user": "The password must not contain the user name.",
        "user.not_found": "There is no user '{user}'.",
        "user.taken": "The user name '{username}' is taken.",
        "user.im_taken": "The {platform} user id '{value}' belongs to another user already.",
        "user.username": "A user name is 1–64 letters, digits, '.', '_', '-' or '@'.",
        "token.not_found": "There is no API token {id}.",
        "department.not_found": "There is no department {id}.",
        "department.cycle": "A department cannot be placed under itself or its sub-departments.",
        "department.in_use": "The department still has sub-departments or members.",
        "role.not_found": "There is no role '{role}'.",
        "role.scope": "The row scope must be one of: {allowed}.",
        "role.access": "A field's access must be one of: hidden, read_only, masked.",
        "audit.filter": "Unknown audit filter value.",
        "calendar.time": "Write the time as HH:MM.",
        "calendar.hours_order": "The end must come after the start.",
    },
    "zh-CN": {
        "invalid.input": "输入无效。",
        "invalid.json": "请求体不是有效的 JSON。",
        "invalid.body": "{detail}",
        "invalid.extra": "不应有属性“{key}”。",
        "invalid.list": "应为列表。",
        "invalid.object": "应为对象。",
        "invalid.too_many": "最多 {max} 项。",
        "invalid.too_few": "至少 {min} 项。",
        "invalid.greater": "须大于 {min}。",
        "invalid.less": "须小于 {max}。",
        "key.format": "标识须为 ASCII 小写蛇形命名：以小写字母开头，仅含字母、数字或下划线（最多 63 个字符）。",
        "key.reserved": "“{key}”是保留字。",
        "key.taken": "标识“{key}”已被使用。",
        "keys.none": "未配置加密密钥：请设置 CAIRN_ENCRYPTION_KEYS（cairn keys generate 可生成一个）。",
        "clock.disabled": "没有测试时钟：请以 CAIRN_TEST_CLOCK=true 启动 Cairn。",
        "clock.one_of": "请给出 by（时长，如 3d）或 to（时刻）之一，不能同时给出。",
        "clock.duration": "时长格式应如 3d、2h30m 或 1w（单位 w 周、d 天、h 时、m 分、s 秒，大单位在前；大于 0，最多 3650 天）。",
        "clock.instant": "时刻应为带时区的 ISO 8601 格式，如 2026-02-05T09:00:00+08:00。",
        "clock.backwards": "测试时钟只能向前拨：{to} 不晚于它现在的时间 {now}。",
        "clock.too_far": "测试时钟一次最多向前拨 3650 天。",
        "clock.moved": "测试时钟刚被他人拨动过，请重新读取后再试。",
        "server.error": "服务器出错，未做任何修改。",
        "not_found": "未找到。",
        "method_not_allowed": "此处不允许该请求方法。",
        "calendar.exists": "工作日历中已有 {day} 的设置。",
        "calendar.not_found": "工作日历中没有 {day} 的设置。",
        "calendar.range": "工作日历的范围是 {first} 至 {last}。",
        "auth.required": "请先登录。",
        "auth.bad_credentials": "用户名或密码错误。",
        "auth.locked": "登录失败次数过多，请 {minutes} 分钟后再试。",
        "auth.csrf": "请求缺少有效的 X-CSRF-Token 请求头。",
        "auth.read_only_token": "此 API 令牌只能读取。",
        "auth.forbidden": "你无权执行此操作。",
        "auth.admin_only": "只有管理员可以执行此操作。",
        "auth.table_denied": "你无权对此表的记录执行此操作。",
        "auth.field_denied": "你无权修改字段“{field}”。",
        "auth.last_admin": "至少须保留一名有效的管理员。",
        "password.too_short": "密码至少需要 {min} 个字符。",
        "password.classes": "密码须同时包含字母和数字。",
        "password.same_as_user": "密码不能包含用户名。",
        "user.not_found": "用户“{user}”不存在。",
        "user.taken": "用户名“{username}”已被使用。",
        "user.im_taken": "{platform} 用户 ID“{value}”已属于另一位用户。",
        "user.username": "用户名为 1–64 个字母、数字或 . _ - @ 字符。",
        "token.not_found": "API 令牌 {id} 不存在。",
        "department.not_found": "部门 {id} 不存在。",
        "department.cycle": "部门不能放在自身或其下级部门之下。",
        "department.in_use": "该部门仍有下级部门或成员。",
        "role.not_found": "角色“{role}”不存在。",
        "role.scope": "数据范围须为以下之一：{allowed}。",
        "role.access": "字段权限须为 hidden、read_only 或 masked 之一。",
        "audit.filter": "未知的审计筛选值。",
        "calendar.time": "时间请写成 HH:MM。",
        "calendar.hours_order": "结束时间须晚于开始时间。",
    },
}


class MessageConflict(ValueError):
    """A catalogue that cannot be registered: a key with another text than the one registered,
    a language Cairn does not speak, or keys missing from one language."""


def register_messages(catalogue: dict[str, dict[str, str]]) -> None:
    """Add an engine's messages (language → key → text) to the catalogue.

    Every language of ``LANGUAGES`` must be given, with the same keys. Registering a key again
    with the same text is harmless (a module imported twice); with another text it is refused,
    as two engines would then say different things under one key."""
    languages = set(catalogue)
    if languages != set(LANGUAGES):
        raise MessageConflict(
            f"messages must be given in exactly {', '.join(LANGUAGES)}, not {sorted(languages)}"
        )
    first = set(catalogue[LANGUAGES[0]])
    for language in LANGUAGES[1:]:
        if set(catalogue[language]) != first:
            odd = sorted(first ^ set(catalogue[language]))
            raise MessageConflict(f"messages in one language only: {', '.join(odd)}")
    for language, texts in catalogue.items():
        known = CATALOGUE[language]
        for key, text in texts.items():
            if key in known and known[key] != text:
                raise MessageConflict(
                    f"message {key!r} ({language}) is registered already with another text"
                )
    for language, texts in catalogue.items():
        CATALOGUE[language].update(texts)


def pick_language(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The best supported language for an Accept-Language header (q-values honoured)."""
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        bits = part.strip().split(";")
        tag = bits[0].strip().lower()
        q = 1.0
        for b in bits[1:]:
            b = b.strip()
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        ranked.append((-q, i, tag))
    for _, _, tag in sorted(ranked):
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
        if tag == "*":
            return default
    return default


def render(message: Message, language: str = DEFAULT_LANGUAGE) -> str:
    """The message in ``language``; unknown keys fall back to English, then to the key."""
    table = CATALOGUE.get(language) or CATALOGUE["en"]
    template = table.get(message.key) or CATALOGUE["en"].get(message.key) or message.key
    try:
        return template.format(**_printable(message.params))
    except (KeyError, IndexError, ValueError):
        return template


def _printable(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in params.items():
        if isinstance(v, list | tuple | set):
            out[k] = ", ".join(str(x) for x in v)
        else:
            out[k] = v
    return out
