"""The message catalogue (zh-CN and en) for errors and labels, and Accept-Language matching."""

from __future__ import annotations

from typing import Any

from cairn.core.errors import Message

LANGUAGES = ("zh-CN", "en")
DEFAULT_LANGUAGE = "zh-CN"

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "invalid.input": "The input is not valid.",
        "invalid.json": "The request body is not valid JSON.",
        "invalid.body": "{detail}",
        "key.format": "A key must be ASCII snake_case: a lowercase letter, then letters, digits or _ (at most 63).",
        "key.reserved": "'{key}' is reserved.",
        "key.taken": "The key '{key}' is already used here.",
        "field.unknown": "There is no field '{key}' in this table.",
        "field.required": "This field is required.",
        "field.read_only": "This field is computed and cannot be written.",
        "field.unique": "The value {value} is already used by another record.",
        "field.type_unknown": "Unknown field type '{type}'.",
        "field.option_invalid": "{detail}",
        "field.no_conversion": "A {source} field cannot be converted to {target}.",
        "field.in_use": "The field is used by {users}; change those first.",
        "value.text": "Expected text.",
        "value.too_long": "At most {max} characters.",
        "value.too_short": "At least {min} characters.",
        "value.pattern": "The value does not match the required pattern.",
        "value.number": "Expected a number.",
        "value.integer": "Expected a whole number.",
        "value.min": "Must be at least {min}.",
        "value.max": "Must be at most {max}.",
        "value.precision": "At most {places} decimal places.",
        "value.boolean": "Expected true or false.",
        "value.date": "Expected a date (YYYY-MM-DD).",
        "value.datetime": "Expected a date and time (ISO 8601).",
        "value.choice": "'{value}' is not one of the options.",
        "value.choices": "Expected a list of options.",
        "value.email": "'{value}' is not a valid e-mail address.",
        "value.phone": "'{value}' is not a valid phone number.",
        "value.url": "'{value}' is not a valid http(s) address.",
        "value.rating": "Expected a whole number from 1 to {max}.",
        "value.location": "Expected an object with lat (-90..90), lng (-180..180) and an optional address.",
        "value.user": "There is no active user with id {value}.",
        "value.relation": "Expected a record id or a list of record ids.",
        "value.relation_single": "This relation holds one record only.",
        "value.relation_missing": "No record with id {ids} in table '{table}'.",
        "value.relation_taken": "Record {ids} is already linked to another record through this relation.",
        "value.attachment": "Expected a list of uploaded file ids.",
        "value.attachment_missing": "No uploaded file with id {ids}.",
        "file.too_large": "The file is {size} bytes; this field accepts at most {max} bytes.",
        "file.type": "Files of type '{type}' are not accepted here (allowed: {allowed}).",
        "file.not_found": "There is no file {id}.",
        "app.not_found": "There is no app '{app}'.",
        "table.not_found": "There is no table '{table}'.",
        "field.not_found": "There is no field '{field}'.",
        "record.not_found": "There is no record {id}.",
        "record.version_required": "Send the version the change was based on.",
        "record.stale": "The record changed since version {expected}: it is now at version {actual}.",
        "record.unique_conflict": "Restoring would duplicate the unique value of '{field}'.",
        "bulk.too_many": "At most {max} records per call.",
        "bulk.empty": "Send at least one record.",
        "filter.operator": "The operator '{op}' does not apply to the {type} field '{field}'.",
        "filter.value": "The operator '{op}' needs {expected}.",
        "filter.shape": 'A filter node is {{"field", "op", "value"}}, {{"and": [...]}}, {{"or": [...]}} or {{"not": node}}.',
        "filter.depth": "The filter is nested too deeply (at most {max}).",
        "sort.field": "Cannot sort by '{field}'.",
        "cursor.invalid": "The cursor is not valid for this query.",
        "expand.field": "'{field}' is not a relation field.",
        "package.yaml": "The package is not valid YAML: {detail}",
        "package.shape": "The package is not valid: {detail}",
        "package.exists": "An app with the key '{key}' exists already.",
        "table.in_use": "The table is the target of relation fields: {users}.",
        "recycle.not_deleted": "'{key}' is not in the recycle bin.",
        "template.not_found": "There is no template '{template}'.",
        "server.error": "Something went wrong on the server; nothing was changed.",
        "not_found": "Not found.",
        "method_not_allowed": "This method is not allowed here.",
        # -- customer 360° view settings (web UI) --
        "customer_view.shape": 'Send {{"table", "metrics", "sections"}}: a table key, a list of field keys and a list of {{"relation"}} objects.',
        "customer_view.relation": "'{field}' is not a relation field of the customer table.",
        "customer_view.duplicate": "'{field}' appears more than once.",
        # -- formula language (cairn.formula) --
        "formula.empty": "column {column}: the formula is empty.",
        "formula.too_long": "column {column}: a formula has at most {max} characters.",
        "formula.too_large": "column {column}: the formula has more than {max} parts.",
        "formula.too_deep": "column {column}: the formula is nested more than {max} levels deep.",
        "formula.too_complex": "column {column}: the formula is too complex to run in the database.",
        "formula.number_too_large": "column {column}: the number is too large.",
        "formula.text_too_long": "column {column}: a text literal has at most {max} characters.",
        "formula.empty_field": "column {column}: {{}} names no field.",
        "formula.bare_name": "column {column}: unknown name {name}; write a field as {{{name}}} and text in quotes.",
        "formula.unexpected": "column {column}: unexpected '{token}'.",
        "formula.unexpected_end": "column {column}: the formula ends too early.",
        "formula.unknown_field": "column {column}: there is no field {{{name}}}.",
        "formula.unknown_function": "column {column}: there is no function {function}.",
        "formula.arity": "column {column}: {function} does not take {count} arguments.",
        "formula.arg_type.number": "column {column}: {function} expects a number as argument {n}",
        "formula.arg_type.text": "column {column}: {function} expects text as argument {n}",
        "formula.arg_type.boolean": "column {column}: {function} expects TRUE/FALSE as argument {n}",
        "formula.arg_type.date": "column {column}: {function} expects a date as argument {n}",
        "formula.arg_type.value": "column {column}: {function} expects a single value as argument {n}",
        "formula.arg_type.list": "column {column}: {function} expects a relation's field such as {{orders.amount}} as argument {n}",
        "formula.arg_type.literal": "column {column}: {function} expects a text in quotes as argument {n}",
        "formula.branch_types": "column {column}: {function} returns {first} here but {other} there.",
        "formula.operand_types": "column {column}: {function} does not apply to {left} and {right}.",
        "formula.compare_types": "column {column}: cannot compare {left} with {right}.",
        "formula.text_format": 'column {column}: unknown format "{format}" (e.g. "0.00", "#,##0", "0%", "yyyy-mm-dd").',
        "formula.unit": 'column {column}: unknown unit "{unit}".',
        "formula.list_alone": "column {column}: {function} takes a relation's field as its only argument.",
        "formula.list_result": "column {column}: the formula gives a list; aggregate it with SUM, COUNT, MIN, MAX or AVERAGE.",
        "formula.cycle": "The formula refers to itself through {fields}.",
        "formula.no_calendar": "column {column}: {function} is not available here yet: the working calendar is not set up in this database.",
        "formula.not_boolean": "column {column}: the formula must give TRUE or FALSE.",
        "formula.in_use": "The field is used by the formula of {users}.",
        "validation.failed": "{message}",
        "calendar.exists": "{day} already has an entry in the working calendar.",
        "calendar.not_found": "{day} has no entry in the working calendar.",
        "calendar.range": "The working calendar covers {first} to {last}.",
        # -- identity, permissions and audit (cairn.auth) --
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
        "user.username": "A user name is 1–64 letters, digits, '.', '_', '-' or '@'.",
        "token.not_found": "There is no API token {id}.",
        "department.not_found": "There is no department {id}.",
        "department.cycle": "A department cannot be placed under itself or its sub-departments.",
        "department.in_use": "The department still has sub-departments or members.",
        "role.not_found": "There is no role '{role}'.",
        "role.scope": "The row scope must be one of: {allowed}.",
        "role.access": "A field's access must be one of: hidden, read_only, masked.",
        "audit.filter": "Unknown audit filter value.",
    },
    "zh-CN": {
        "invalid.input": "输入无效。",
        "invalid.json": "请求体不是有效的 JSON。",
        "invalid.body": "{detail}",
        "key.format": "标识须为 ASCII 小写蛇形命名：以小写字母开头，仅含字母、数字或下划线（最多 63 个字符）。",
        "key.reserved": "“{key}”是保留字。",
        "key.taken": "标识“{key}”已被使用。",
        "field.unknown": "此表没有字段“{key}”。",
        "field.required": "此字段为必填项。",
        "field.read_only": "此字段为计算字段，不能写入。",
        "field.unique": "值 {value} 已被其他记录使用。",
        "field.type_unknown": "未知的字段类型“{type}”。",
        "field.option_invalid": "{detail}",
        "field.no_conversion": "{source} 字段不能转换为 {target}。",
        "field.in_use": "该字段被 {users} 使用，请先修改它们。",
        "value.text": "应为文本。",
        "value.too_long": "最多 {max} 个字符。",
        "value.too_short": "至少 {min} 个字符。",
        "value.pattern": "值不符合要求的格式。",
        "value.number": "应为数字。",
        "value.integer": "应为整数。",
        "value.min": "不能小于 {min}。",
        "value.max": "不能大于 {max}。",
        "value.precision": "最多 {places} 位小数。",
        "value.boolean": "应为是或否（true/false）。",
        "value.date": "应为日期（YYYY-MM-DD）。",
        "value.datetime": "应为日期时间（ISO 8601）。",
        "value.choice": "“{value}”不是可选项之一。",
        "value.choices": "应为选项列表。",
        "value.email": "“{value}”不是有效的电子邮箱地址。",
        "value.phone": "“{value}”不是有效的电话号码。",
        "value.url": "“{value}”不是有效的 http(s) 地址。",
        "value.rating": "应为 1 到 {max} 的整数。",
        "value.location": "应为包含 lat（-90..90）、lng（-180..180）和可选 address 的对象。",
        "value.user": "没有 id 为 {value} 的有效用户。",
        "value.relation": "应为记录 id 或记录 id 列表。",
        "value.relation_single": "此关联只能关联一条记录。",
        "value.relation_missing": "表“{table}”中没有 id 为 {ids} 的记录。",
        "value.relation_taken": "记录 {ids} 已通过此关联与其他记录关联。",
        "value.attachment": "应为已上传文件的 id 列表。",
        "value.attachment_missing": "没有 id 为 {ids} 的已上传文件。",
        "file.too_large": "文件大小为 {size} 字节；此字段最多接受 {max} 字节。",
        "file.type": "此处不接受“{type}”类型的文件（允许：{allowed}）。",
        "file.not_found": "文件 {id} 不存在。",
        "app.not_found": "应用“{app}”不存在。",
        "table.not_found": "表“{table}”不存在。",
        "field.not_found": "字段“{field}”不存在。",
        "record.not_found": "记录 {id} 不存在。",
        "record.version_required": "请提供修改所基于的版本号（version）。",
        "record.stale": "记录自版本 {expected} 之后已被修改，当前版本为 {actual}。",
        "record.unique_conflict": "恢复后“{field}”的唯一值将重复。",
        "bulk.too_many": "每次最多 {max} 条记录。",
        "bulk.empty": "请至少提供一条记录。",
        "filter.operator": "运算符“{op}”不适用于{type}字段“{field}”。",
        "filter.value": "运算符“{op}”需要{expected}。",
        "filter.shape": '筛选节点应为 {{"field", "op", "value"}}、{{"and": [...]}}、{{"or": [...]}} 或 {{"not": 节点}}。',
        "filter.depth": "筛选条件嵌套过深（最多 {max} 层）。",
        "sort.field": "不能按“{field}”排序。",
        "cursor.invalid": "游标对此查询无效。",
        "expand.field": "“{field}”不是关联字段。",
        "package.yaml": "应用包不是有效的 YAML：{detail}",
        "package.shape": "应用包无效：{detail}",
        "package.exists": "标识为“{key}”的应用已存在。",
        "table.in_use": "该表是以下关联字段的目标：{users}。",
        "recycle.not_deleted": "“{key}”不在回收站中。",
        "template.not_found": "模板“{template}”不存在。",
        "server.error": "服务器出错，未做任何修改。",
        "not_found": "未找到。",
        "method_not_allowed": "此处不允许该请求方法。",
        # -- customer 360° view settings (web UI) --
        "customer_view.shape": '请提交 {{"table", "metrics", "sections"}}：表标识、字段标识列表和 {{"relation"}} 对象列表。',
        "customer_view.relation": "“{field}”不是客户表的关联字段。",
        "customer_view.duplicate": "“{field}”重复出现。",
        # -- formula language (cairn.formula) --
        "formula.empty": "第 {column} 列：公式为空。",
        "formula.too_long": "第 {column} 列：公式最多 {max} 个字符。",
        "formula.too_large": "第 {column} 列：公式超过 {max} 个组成部分。",
        "formula.too_deep": "第 {column} 列：公式嵌套超过 {max} 层。",
        "formula.too_complex": "第 {column} 列：公式过于复杂，无法在数据库中计算。",
        "formula.number_too_large": "第 {column} 列：数字过大。",
        "formula.text_too_long": "第 {column} 列：文本常量最多 {max} 个字符。",
        "formula.empty_field": "第 {column} 列：{{}} 中没有字段名。",
        "formula.bare_name": "第 {column} 列：未知名称 {name}；字段请写作 {{{name}}}，文本请加引号。",
        "formula.unexpected": "第 {column} 列：此处不应出现“{token}”。",
        "formula.unexpected_end": "第 {column} 列：公式不完整。",
        "formula.unknown_field": "第 {column} 列：没有字段 {{{name}}}。",
        "formula.unknown_function": "第 {column} 列：没有函数 {function}。",
        "formula.arity": "第 {column} 列：{function} 不接受 {count} 个参数。",
        "formula.arg_type.number": "第 {column} 列: {function} 的第 {n} 个参数应为数字",
        "formula.arg_type.text": "第 {column} 列: {function} 的第 {n} 个参数应为文本",
        "formula.arg_type.boolean": "第 {column} 列: {function} 的第 {n} 个参数应为 TRUE/FALSE",
        "formula.arg_type.date": "第 {column} 列: {function} 的第 {n} 个参数应为日期",
        "formula.arg_type.value": "第 {column} 列: {function} 的第 {n} 个参数应为单个值",
        "formula.arg_type.list": "第 {column} 列: {function} 的第 {n} 个参数应为关联字段，如 {{订单.金额}}",
        "formula.arg_type.literal": "第 {column} 列: {function} 的第 {n} 个参数应为带引号的文本",
        "formula.branch_types": "第 {column} 列：{function} 在此返回{first}，在别处返回{other}。",
        "formula.operand_types": "第 {column} 列：{function} 不适用于{left}和{right}。",
        "formula.compare_types": "第 {column} 列：不能比较{left}与{right}。",
        "formula.text_format": '第 {column} 列：未知格式“{format}”（如 "0.00"、"#,##0"、"0%"、"yyyy-mm-dd"）。',
        "formula.unit": "第 {column} 列：未知单位“{unit}”。",
        "formula.list_alone": "第 {column} 列：{function} 的关联字段参数只能单独使用。",
        "formula.list_result": "第 {column} 列：公式结果是列表，请用 SUM、COUNT、MIN、MAX 或 AVERAGE 汇总。",
        "formula.cycle": "公式通过 {fields} 引用了自身。",
        "formula.no_calendar": "第 {column} 列：此处暂不能使用 {function}：数据库中尚未设置工作日历。",
        "formula.not_boolean": "第 {column} 列：公式的结果必须是 TRUE 或 FALSE。",
        "formula.in_use": "该字段被 {users} 的公式使用。",
        "validation.failed": "{message}",
        "calendar.exists": "工作日历中已有 {day} 的设置。",
        "calendar.not_found": "工作日历中没有 {day} 的设置。",
        "calendar.range": "工作日历的范围是 {first} 至 {last}。",
        # -- identity, permissions and audit (cairn.auth) --
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
        "user.username": "用户名为 1–64 个字母、数字或 . _ - @ 字符。",
        "token.not_found": "API 令牌 {id} 不存在。",
        "department.not_found": "部门 {id} 不存在。",
        "department.cycle": "部门不能放在自身或其下级部门之下。",
        "department.in_use": "该部门仍有下级部门或成员。",
        "role.not_found": "角色“{role}”不存在。",
        "role.scope": "数据范围须为以下之一：{allowed}。",
        "role.access": "字段权限须为 hidden、read_only 或 masked 之一。",
        "audit.filter": "未知的审计筛选值。",
    },
}


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
