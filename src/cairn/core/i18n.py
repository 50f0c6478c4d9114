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
        # -- reports (datasets, KPIs, dashboards, exports)
        "report.formula_unsupported": "Formula measures need the formula language, which this installation does not have yet.",
        "report.field_type": "The {type} field '{field}' cannot be grouped or aggregated.",
        "report.bucket_type": "'{field}' is not a date: it has no date buckets.",
        "report.bin_type": "'{field}' is not a number: it has no bins.",
        "report.aggregation": "There is no aggregation '{agg}'.",
        "report.duration_type": "A duration runs between two date or datetime fields; '{field}' is not one.",
        "report.measure_type": "'{agg}' does not apply to the field '{field}'.",
        "report.measure_field": "'{agg}' needs a field.",
        "report.duplicate_key": "Two columns have the key '{key}'.",
        "report.sort_key": "There is no column '{key}' in this dataset.",
        "report.drill_keys": "Give one value per dimension ({n}).",
        "report.drill_too_wide": "This cell stands for more than {max} linked records; narrow the filter first.",
        "report.kpi_unknown": "There is no KPI '{kpi}'.",
        "report.kpi_params": "The KPI parameters are not valid: {detail}",
        "report.period": "The period ends before it starts.",
        "report.period_required": "This KPI needs a period.",
        "report.funnel_stages": "A funnel needs its stages, or a single-select stage field with options.",
        "report.widget_type": "There is no widget type '{type}'.",
        "report.widget_source": "A widget shows a dataset or a KPI (one of them).",
        "report.dashboard_not_found": "There is no dashboard {id}.",
        "report.export_format": "Export as xlsx or csv.",
        "report.widget_not_found": "There is no widget '{id}' on this dashboard.",
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
        # -- reports (datasets, KPIs, dashboards, exports)
        "report.formula_unsupported": "公式度量需要公式语言，本安装尚未提供。",
        "report.field_type": "{type} 类型的字段“{field}”不能分组或聚合。",
        "report.bucket_type": "“{field}”不是日期，不能按日期分段。",
        "report.bin_type": "“{field}”不是数字，不能分区间。",
        "report.aggregation": "没有聚合方式“{agg}”。",
        "report.duration_type": "时长须在两个日期或日期时间字段之间计算；“{field}”不是。",
        "report.measure_type": "“{agg}”不适用于字段“{field}”。",
        "report.measure_field": "“{agg}”需要一个字段。",
        "report.duplicate_key": "有两列的标识都是“{key}”。",
        "report.sort_key": "此数据集没有列“{key}”。",
        "report.drill_keys": "请为每个维度给出一个值（共 {n} 个）。",
        "report.drill_too_wide": "此单元格对应超过 {max} 条关联记录，请先缩小筛选范围。",
        "report.kpi_unknown": "没有指标“{kpi}”。",
        "report.kpi_params": "指标参数无效：{detail}",
        "report.period": "统计周期的结束早于开始。",
        "report.period_required": "此指标需要统计周期。",
        "report.funnel_stages": "漏斗需要阶段列表，或一个带选项的单选阶段字段。",
        "report.widget_type": "没有组件类型“{type}”。",
        "report.widget_source": "组件须展示一个数据集或一个指标（二选一）。",
        "report.dashboard_not_found": "没有仪表盘 {id}。",
        "report.export_format": "请选择 xlsx 或 csv 格式导出。",
        "report.widget_not_found": "此仪表盘没有组件“{id}”。",
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
