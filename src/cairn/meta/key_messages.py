"""The messages of identity keys (``cairn.core.idkeys``) and of the ``identity_key`` field
option, in zh-CN and en. Each names the rule a refused value breaks.

``cairn.meta`` registers them with ``cairn.core.i18n`` when it is imported."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "value.vin_length": "'{value}' is not a VIN: a VIN has 17 characters, this has {length}.",
        "value.vin_chars": "'{value}' is not a VIN: only digits and the letters A-Z without I, O and Q (found {chars}).",
        "value.vin_check": "'{value}' fails the VIN check digit: position 9 should be {expected} (a character is mistyped).",
        "value.id_number_shape": "'{value}' is not an ID number: 18 digits, the last may be X (or the 15 digits of an old card).",
        "value.id_number_region": "'{value}' is not an ID number: its region code {region} names no province.",
        "value.id_number_date": "'{value}' is not an ID number: {date} is no birth date.",
        "value.id_number_check": "'{value}' fails the ID number check character: the last should be {expected} (a digit is mistyped).",
        "value.credit_code_length": "'{value}' is not a unified social credit code: it has 18 characters, this has {length}.",
        "value.credit_code_chars": "'{value}' is not a unified social credit code: digits and capital letters without I, O, S, V and Z, with digits in positions 3-8.",
        "value.credit_code_check": "'{value}' fails the credit code check character: the last should be {expected} (a character is mistyped).",
        "value.passport": "'{value}' is not a passport number: 5 to 15 letters and digits.",
        "value.ffp": "'{value}' is not a frequent-flyer number: the airline's two-character code, then 5 to 15 digits.",
        "value.plate": "'{value}' is not a Chinese plate number: a province, the office letter, then 5 characters (6 for new energy).",
        "field.identity_key_kind": "A {type} field cannot hold that identity key; it can hold: {kinds}.",
    },
    "zh-CN": {
        "value.vin_length": "“{value}”不是车辆识别代号：应为 17 位，现为 {length} 位。",
        "value.vin_chars": "“{value}”不是车辆识别代号：只能含数字和除 I、O、Q 外的字母（出现了 {chars}）。",
        "value.vin_check": "“{value}”未通过车辆识别代号校验：第 9 位应为 {expected}（有字符输错）。",
        "value.id_number_shape": "“{value}”不是身份证号：应为 18 位数字，最后一位可为 X（或旧证的 15 位数字）。",
        "value.id_number_region": "“{value}”不是身份证号：地区码 {region} 不属于任何省份。",
        "value.id_number_date": "“{value}”不是身份证号：{date} 不是有效的出生日期。",
        "value.id_number_check": "“{value}”未通过身份证号校验：最后一位应为 {expected}（有数字输错）。",
        "value.credit_code_length": "“{value}”不是统一社会信用代码：应为 18 位，现为 {length} 位。",
        "value.credit_code_chars": "“{value}”不是统一社会信用代码：只能含数字和除 I、O、S、V、Z 外的大写字母，第 3-8 位须为数字。",
        "value.credit_code_check": "“{value}”未通过统一社会信用代码校验：最后一位应为 {expected}（有字符输错）。",
        "value.passport": "“{value}”不是护照号：应为 5 到 15 位字母和数字。",
        "value.ffp": "“{value}”不是常旅客卡号：应为两位航空公司代码加 5 到 15 位数字。",
        "value.plate": "“{value}”不是车牌号：省份简称、发牌机关字母，再加 5 位（新能源 6 位）。",
        "field.identity_key_kind": "{type} 字段不能作为该类身份标识；可选：{kinds}。",
    },
}
