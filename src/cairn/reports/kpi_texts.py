"""What each KPI of the library is, in plain words (zh-CN and en): ``kpi.<key>.title`` and
``kpi.<key>.definition``, shown on the KPI library page. ``cairn.reports`` registers them with
``cairn.core.i18n`` when it is imported."""

from __future__ import annotations

from cairn.core import Message, render

_EN = {
    "nps": (
        "Net Promoter Score (NPS)",
        "How likely customers are to recommend you. Each answer is a score from 0 to 10: 9 and "
        "10 are promoters, 0 to 6 detractors. NPS is the share of promoters minus the share of "
        "detractors, from −100 to 100.",
    ),
    "csat": (
        "Customer satisfaction (CSAT)",
        "The share of ratings on a 1–5 scale that say satisfied (4 or 5 unless set otherwise), "
        "in percent; the average rating is given too.",
    ),
    "churn_rate": (
        "Churn rate",
        "Of the customers you had when the period began, the share you lost during it. A "
        "customer is lost when they meet the 'lost' condition and the date they were lost falls "
        "in the period.",
    ),
    "first_response_time": (
        "First response time",
        "How long customers wait for a first answer: the average time from when a request is "
        "opened to its first response (and the time within which 90% were answered).",
    ),
    "resolution_rate": (
        "Resolution rate",
        "The share of the period's requests that are resolved (meet the 'resolved' condition).",
    ),
    "first_time_fix_rate": (
        "First-time fix rate",
        "The share of jobs fixed the first time: no new job on the same asset (the same "
        "aircraft, car or machine) within the set number of hours after it.",
    ),
    "average_waiting_time": (
        "Average waiting time",
        "The average time between two moments of a record, such as from arrival to the start of "
        "service (and the median, the time half of them waited at most).",
    ),
    "on_time_delivery_rate": (
        "On-time rate",
        "Of the deliveries made, the share made by the time promised.",
    ),
    "complaint_rate": (
        "Complaint rate",
        "Complaints per hundred services in the period: the records that meet the complaint "
        "condition (in this table or another) divided by the services.",
    ),
    "clv": (
        "Customer lifetime value (CLV)",
        "What a paying customer brings in: the amounts paid in the period divided by the number "
        "of customers who paid.",
    ),
    "funnel_conversion": (
        "Funnel conversion",
        "How many records reach each stage in turn (such as lead, quote, won), and the share of "
        "those at the first stage that reach the last.",
    ),
}

_ZH = {
    "nps": (
        "净推荐值（NPS）",
        "客户向他人推荐你的意愿。每条回答为 0–10 分：9、10 分为推荐者，0–6 分为贬损者。"
        "NPS = 推荐者占比 − 贬损者占比，范围 −100 到 100。",
    ),
    "csat": (
        "客户满意度（CSAT）",
        "1–5 分评价中表示满意（默认 4 分及以上）的占比（%），同时给出平均分。",
    ),
    "churn_rate": (
        "客户流失率",
        "期初已有的客户中，在本期内流失的比例。客户满足“流失”条件且流失日期在本期内，即计为流失。",
    ),
    "first_response_time": (
        "首次响应时长",
        "客户等待首次答复的时间：从请求创建到首次响应的平均时长（并给出 90% 的请求在多长时间内得到响应）。",
    ),
    "resolution_rate": (
        "解决率",
        "本期请求中已解决（满足“已解决”条件）的比例。",
    ),
    "first_time_fix_rate": (
        "一次修复率",
        "一次修好的工单比例：之后设定的小时数内，同一设备（同一架飞机、同一辆车或同一台机器）没有新的工单。",
    ),
    "average_waiting_time": (
        "平均等待时长",
        "记录中两个时间点之间的平均时长，例如从到店到开始服务（并给出中位数：一半的人最多等了多久）。",
    ),
    "on_time_delivery_rate": (
        "准时率",
        "已完成的交付中，在承诺时间之前完成的比例。",
    ),
    "complaint_rate": (
        "投诉率",
        "本期每百次服务的投诉数：满足投诉条件的记录（在本表或另一张表中）除以服务记录数。",
    ),
    "clv": (
        "客户终身价值（CLV）",
        "每位付款客户带来的收入：本期已付金额合计除以付款的客户数。",
    ),
    "funnel_conversion": (
        "漏斗转化率",
        "依次到达每个阶段的记录数（如 线索、报价、成交），以及从第一阶段到达最后阶段的比例。",
    ),
}


def _messages(texts: dict[str, tuple[str, str]]) -> dict[str, str]:
    out = {}
    for key, (title, definition) in texts.items():
        out[f"kpi.{key}.title"] = title
        out[f"kpi.{key}.definition"] = definition
    return out


MESSAGES: dict[str, dict[str, str]] = {"en": _messages(_EN), "zh-CN": _messages(_ZH)}


def kpi_text(kpi: str, part: str, language: str) -> str:
    """The KPI's ``title`` or ``definition`` in ``language``."""
    return render(Message(_KEYS[part].format(kpi=kpi)), language)


_KEYS = {"title": "kpi.{kpi}.title", "definition": "kpi.{kpi}.definition"}
