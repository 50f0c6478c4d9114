"""The rows of the general-aviation demo: customers (companies and private owners), their
aircraft and service tickets, drawn from ``vocabulary.py`` with one seeded random generator,
so the same seed and clock give the same rows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from cairn.core.idkeys.credit_code import ALPHABET, check_character
from cairn.templates.general_aviation.vocabulary import (
    CHECK_FAILS,
    CHECK_ITEMS,
    CITIES,
    COMPANY_KINDS,
    DETAILS,
    GIVEN,
    INTERACTION_KINDS,
    INTERACTION_SUBJECTS,
    MAIL_HOSTS,
    MAKER_OF,
    MOBILE_PREFIXES,
    MODEL_FOR_INDUSTRY,
    MODELS,
    NOTES,
    PRIORITIES,
    QUOTE_NOTES,
    QUOTE_REJECTIONS,
    QUOTE_WORK,
    RESOLUTION_OTHER,
    RESOLUTIONS,
    STEMS,
    STREETS,
    SURNAMES,
    TAGS,
    TICKETS,
    TIERS,
)


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class Generator:
    """Builds the three tables' rows; ids of written customers and aircraft come back in."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now.replace(microsecond=0)
        self.today = now.date()
        self.phones: set[str] = set()
        self.names: set[str] = set()
        self.registrations: set[str] = set()

    # -- people and companies ------------------------------------------------------------------
    def person(self) -> tuple[str, str]:
        sur, sur_py = self.rng.choice(SURNAMES)
        given, given_py = self.rng.choice(GIVEN)
        return sur + given, sur_py + given_py

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def registration(self) -> str:
        """A mainland registration: B- and four digits (B-7021) or two digits and two letters."""
        letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
        while True:
            if self.rng.random() < 0.6:
                reg = f"B-{self.rng.choice('6789')}{self.rng.randrange(1000):03d}"
            else:
                reg = (
                    f"B-{self.rng.randrange(10, 100)}"
                    f"{self.rng.choice(letters)}{self.rng.choice(letters)}"
                )
            if reg not in self.registrations:
                self.registrations.add(reg)
                return reg

    def unique_name(self, make: Callable[[], str], suffix: str) -> str:
        """A name not used yet; after a few tries (large demos) a numbered ``suffix`` is added."""
        name = make()
        for _ in range(20):
            if name not in self.names:
                break
            name = make()
        n = 2
        base = name
        while name in self.names:
            name, n = f"{base}{suffix.format(n=n)}", n + 1
        self.names.add(name)
        return name

    def customer(self, index: int) -> dict[str, Any]:
        rng = self.rng
        city, lat, lng, districts = rng.choice(CITIES)
        private = rng.random() < 0.25
        contact, contact_py = self.person()
        if private:
            industry = "私人飞行"
            name = self.unique_name(lambda: self.person()[0], "（{n}）")
            email = f"{contact_py}{rng.randrange(10, 1000)}@{rng.choice(MAIL_HOSTS)}"
            website = None
        else:
            industry, words = rng.choice(COMPANY_KINDS)
            picked: list[str] = []

            def company() -> str:
                stem, stem_py = rng.choice(STEMS)
                picked.append(stem_py)
                place = city if rng.random() < 0.5 else ""
                return f"{place}{stem}{rng.choice(words)}"

            name = self.unique_name(company, "第{n}分公司")
            stem_py = picked[-1]
            domain = f"{stem_py}{'ga' if rng.random() < 0.5 else 'air'}{index}.com.cn"
            email = f"{rng.choice(['info', 'service', contact_py])}@{domain}"
            website = f"https://www.{domain}"
        tier = _weighted(rng, TIERS)
        signed = self.today - timedelta(days=rng.randrange(30, 365 * 8))
        contacted = self.now - timedelta(minutes=rng.randrange(60, 60 * 24 * 180))
        tags = rng.sample(TAGS, k=rng.choice([0, 1, 1, 2, 2, 3]))
        if (self.today - signed).days < 365 and "新客户" not in tags:
            tags.append("新客户")
        credit = {"VIP": 2_000_000, "Gold": 800_000, "Standard": 200_000}[tier]
        district = rng.choice(districts)
        return {
            "name": name,
            "tier": tier,
            "phone": self.mobile(),
            "email": email,
            "credit_code": None if private else credit_code(index),
            "city": city,
            "industry": industry,
            "flight_hours": round(rng.uniform(20, 1800 if not private else 300), 1),
            "credit_limit": round(credit * rng.uniform(0.5, 1.5), -3),
            "signed_on": signed.isoformat(),
            "last_contact": contacted.isoformat(),
            "active": rng.random() < 0.9,
            "tags": tags,
            "rating": rng.choices([3, 4, 5, 2, 1], weights=[4, 5, 4, 1, 1])[0],
            "website": website,
            "location": {
                "lat": round(lat + rng.uniform(-0.15, 0.15), 6),
                "lng": round(lng + rng.uniform(-0.15, 0.15), 6),
                "address": f"{city}市{district}{rng.choice(STREETS)}{rng.randrange(1, 300)}号",
            },
            "notes": f"联系人：{contact}。{rng.choice(NOTES)}".strip(),
        }

    # -- aircraft --------------------------------------------------------------------------
    def aircraft(self, owner_id: int, industry: str) -> dict[str, Any]:
        rng = self.rng
        model = rng.choice(MODEL_FOR_INDUSTRY.get(industry) or [m for m, _ in MODELS])
        registration = self.registration()
        return {
            "registration": registration,
            "manufacturer": MAKER_OF[model],
            "model": model,
            "owner": owner_id,
            "next_inspection": (self.today + timedelta(days=rng.randrange(-20, 240))).isoformat(),
            "total_hours": round(rng.uniform(150, 12000), 1),
            "insurance_expiry": self.insurance_expiry(registration),
        }

    def insurance_expiry(self, registration: str) -> str:
        """A policy renewed yearly: due within the next year (some this month). Drawn from its
        own generator so the rest of the demo data stays as it was."""
        days = random.Random(f"insurance-{registration}").randrange(1, 366)
        return (self.today + timedelta(days=days)).isoformat()

    # -- tickets ---------------------------------------------------------------------------
    def ticket(self, customer_id: int, aircraft: tuple[int, str, str] | None) -> dict[str, Any]:
        rng = self.rng
        choices = [t for t in TICKETS if t[2] == (aircraft is not None)]
        title, base, _ = rng.choice(choices)
        rate = dict(MODELS).get(aircraft[2], 3000) if aircraft else 3000
        opened = self.now - timedelta(minutes=rng.randrange(30, 60 * 24 * 365))
        age = (self.now - opened).days
        if age > 60:
            status = rng.choices(["已关闭", "已解决", "处理中"], weights=[7, 2, 1])[0]
        elif age > 14:
            status = rng.choices(["已解决", "处理中", "等待客户", "已关闭"], weights=[4, 3, 2, 2])[
                0
            ]
        else:
            status = rng.choices(["新建", "处理中", "等待客户"], weights=[4, 4, 2])[0]
        priority = _weighted(rng, PRIORITIES)
        days = {"紧急": 2, "高": 7, "中": 14, "低": 30}[priority]
        cost = base * rng.uniform(0.7, 1.4) * (rate / 3000) ** 0.5 if base else 0
        title = title.format(reg=aircraft[1] if aircraft else "")
        # Drawn from their own generator so the rest of the demo data stays as it was.
        own = random.Random(f"ticket-{title}-{opened.isoformat()}")
        return {
            "title": title,
            "customer": customer_id,
            "aircraft": aircraft[0] if aircraft else None,
            "priority": priority,
            "status": status,
            "opened_at": opened.isoformat(),
            "due": (opened.date() + timedelta(days=days)).isoformat(),
            "cost": round(cost, -1),
            "description": rng.choice(DETAILS) if rng.random() < 0.7 else None,
            "resolution": _resolution(own, title) if status in ("已解决", "已关闭") else None,
            "checklist": _checklist(own, title, status),
        }

    # -- quotes ----------------------------------------------------------------------------
    def quote(self, customer_id: int, aircraft: tuple[int, str, str] | None) -> dict[str, Any]:
        """A quote in 草稿 with 1-5 lines (labour at the aircraft's rate, parts, fees), dated
        in the last 90 days (most of them recent). Its later status comes from ``quote_outcome``."""
        rng = self.rng
        work, lines = rng.choice(QUOTE_WORK)
        rate = dict(MODELS).get(aircraft[2], 3000) if aircraft else 3000
        labour = round(300 + rate / 20, -1)  # per hour: a King Air's costs more than a C172's
        extra = min(len(lines) - 1, rng.choice([0, 1, 2, 2, 3, 3, 4, 5]))
        picked = [lines[0], *rng.sample(lines[1:], k=extra)]
        rows = []
        for item, kind, unit, (lo, hi), price in picked:
            if price is None:  # labour per hour; a flight hour (其他) at the aircraft's rate
                price = rate if kind == "其他" else labour
            rows.append(
                {
                    "item": item,
                    "kind": kind,
                    "quantity": rng.randint(int(lo), int(hi)),
                    "unit": unit,
                    "unit_price": price,
                }
            )
        quoted = self.today - timedelta(days=int(rng.triangular(0, 90, 0)))  # most are recent
        subtotal = sum(r["quantity"] * r["unit_price"] for r in rows)
        discount = (
            round(subtotal * rng.choice([0.05, 0.08, 0.1]), -2) if rng.random() < 0.3 else None
        )
        return {
            "title": f"{aircraft[1]} {work}" if aircraft else work,
            "customer": customer_id,
            "aircraft": aircraft[0] if aircraft else None,
            "quoted_on": quoted.isoformat(),
            "valid_until": (quoted + timedelta(days=30)).isoformat(),
            "lines": rows,
            "discount": discount or None,
            "notes": rng.choice(QUOTE_NOTES) or None,
        }

    def quote_outcome(self, quote: dict[str, Any]) -> dict[str, Any]:
        """What became of a quote: a week old or less, still 草稿 or 已发送; older, 已发送
        (still valid), 已接受 (on a day after it was sent) or 已驳回 with the reason."""
        rng = self.rng
        quoted = date.fromisoformat(quote["quoted_on"])
        age = (self.today - quoted).days
        if age <= 7:
            return {"status": rng.choice(["草稿", "已发送", "已发送"])}
        status = rng.choices(["已发送", "已接受", "已驳回"], weights=[2 if age < 30 else 0, 6, 2])[
            0
        ]
        if status == "已接受":
            day = quoted + timedelta(days=rng.randrange(1, min(age, 21)))  # by yesterday
            return {"status": status, "accepted_on": day.isoformat()}
        if status == "已驳回":
            return {"status": status, "rejection_reason": rng.choice(QUOTE_REJECTIONS)}
        return {"status": status}


def interactions(rng: random.Random, now: datetime, tier: str) -> list[dict[str, Any]]:
    """A customer's interactions over the last year, oldest first: VIP and Gold customers are
    in touch more often; about one in five has gone quiet (nothing in the last 100 to 300
    days), so "sleeping" customers exist among every tier."""
    per_year = {"VIP": 24, "Gold": 12}.get(tier, 6)
    n = max(1, round(per_year * rng.uniform(0.5, 1.5)))
    quiet_days = rng.randrange(100, 300) if rng.random() < 0.2 else 0
    span = 60 * 24 * 365
    out = []
    for _ in range(n):
        kind = _weighted(rng, INTERACTION_KINDS)
        direction, subject = rng.choice(INTERACTION_SUBJECTS[kind])
        back = rng.randrange(quiet_days * 60 * 24 + 30, span + quiet_days * 60 * 24)
        at = (now - timedelta(minutes=back)).replace(second=0)
        row: dict[str, Any] = {
            "kind": kind,
            "direction": direction,
            "occurred_at": at.isoformat(),
            "subject": subject,
        }
        if kind == "call":
            row["duration_seconds"] = rng.randrange(40, 900)
        out.append(row)
    out.sort(key=lambda r: r["occurred_at"])
    return out


def _resolution(rng: random.Random, title: str) -> str:
    """What was done on a resolved ticket, by the words of its title."""
    for word, text in RESOLUTIONS.items():
        if word in title:
            return text
    return rng.choice(RESOLUTION_OTHER)


def _checklist(rng: random.Random, title: str, status: str) -> list[dict[str, Any]]:
    """The checklist of an inspection ticket (none for other work, or one not started): the
    items checked so far, most 合格, a few 不合格 with what was done."""
    if not ("定检" in title or "适航" in title) or status == "新建":
        return []
    items = rng.sample(CHECK_ITEMS, k=rng.randrange(5, 9))
    done = items if status in ("已解决", "已关闭") else items[: rng.randrange(2, len(items))]
    rows: list[dict[str, Any]] = []
    for item in done:
        if rng.random() < 0.12:
            rows.append({"item": item, "result": "不合格", "remark": rng.choice(CHECK_FAILS)})
        else:
            rows.append({"item": item, "result": "合格"})
    return rows


def credit_code(index: int) -> str:
    """A well-formed unified social credit code (企业法人 ``91``, a region, an organisation
    code, the MOD 31 check character) of customer ``index``: from a random source of its own,
    so the other generated values stay as they were."""
    rng = random.Random(f"credit-code-{index}")
    region = rng.choice(("110105", "310115", "440300", "510107", "330106", "420106"))
    body = "91" + region + "".join(rng.choice(ALPHABET) for _ in range(9))
    return body + check_character(body)
