"""The rows of the general-aviation demo: customers (companies and private owners), their
aircraft and service tickets, drawn from ``vocabulary.py`` with one seeded random generator,
so the same seed and clock give the same rows."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from cairn.templates.general_aviation.vocabulary import (
    CITIES,
    COMPANY_KINDS,
    DETAILS,
    GIVEN,
    MAIL_HOSTS,
    MAKER_OF,
    MOBILE_PREFIXES,
    MODEL_FOR_INDUSTRY,
    MODELS,
    NOTES,
    PRIORITIES,
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
        return {
            "title": title.format(reg=aircraft[1] if aircraft else ""),
            "customer": customer_id,
            "aircraft": aircraft[0] if aircraft else None,
            "priority": priority,
            "status": status,
            "opened_at": opened.isoformat(),
            "due": (opened.date() + timedelta(days=days)).isoformat(),
            "cost": round(cost, -1),
            "description": rng.choice(DETAILS) if rng.random() < 0.7 else None,
        }
