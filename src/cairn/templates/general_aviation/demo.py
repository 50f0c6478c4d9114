"""Demo data for 通航客户管理 (general aviation CRM).

``load(services)`` imports ``app.yaml`` and writes believable, deterministic records: Chinese
companies and people with valid mainland mobile numbers, aircraft with B- registrations, and
service tickets linked to both. The same seed and the same clock give the same data.
Everything goes through ``services`` (packages and records): templates are data.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cairn.services import Services

APP_KEY = "general_aviation"
PACKAGE = Path(__file__).with_name("app.yaml")
BATCH = 1000

# -- vocabularies ------------------------------------------------------------------------------

# (surname, pinyin); the most common surnames first, so the random picks look natural.
SURNAMES = [
    ("王", "wang"),
    ("李", "li"),
    ("张", "zhang"),
    ("刘", "liu"),
    ("陈", "chen"),
    ("杨", "yang"),
    ("黄", "huang"),
    ("赵", "zhao"),
    ("吴", "wu"),
    ("周", "zhou"),
    ("徐", "xu"),
    ("孙", "sun"),
    ("马", "ma"),
    ("朱", "zhu"),
    ("胡", "hu"),
    ("郭", "guo"),
    ("何", "he"),
    ("林", "lin"),
    ("高", "gao"),
    ("罗", "luo"),
    ("郑", "zheng"),
    ("梁", "liang"),
    ("谢", "xie"),
    ("宋", "song"),
    ("唐", "tang"),
    ("韩", "han"),
    ("冯", "feng"),
    ("邓", "deng"),
    ("曹", "cao"),
    ("彭", "peng"),
]
GIVEN = [
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("磊", "lei"),
    ("强", "qiang"),
    ("洋", "yang"),
    ("艳", "yan"),
    ("勇", "yong"),
    ("军", "jun"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("建华", "jianhua"),
    ("志强", "zhiqiang"),
    ("海燕", "haiyan"),
    ("晓东", "xiaodong"),
    ("文博", "wenbo"),
    ("子涵", "zihan"),
    ("浩然", "haoran"),
    ("雨婷", "yuting"),
    ("天宇", "tianyu"),
    ("思远", "siyuan"),
    ("嘉怡", "jiayi"),
    ("国栋", "guodong"),
]
# Company name stems (Chinese, pinyin for web and mail domains).
STEMS = [
    ("华东", "huadong"),
    ("华南", "huanan"),
    ("华北", "huabei"),
    ("西部", "xibu"),
    ("东方", "dongfang"),
    ("北方", "beifang"),
    ("南山", "nanshan"),
    ("长空", "changkong"),
    ("蓝天", "lantian"),
    ("翔宇", "xiangyu"),
    ("凌云", "lingyun"),
    ("天翼", "tianyi"),
    ("鹏程", "pengcheng"),
    ("海峡", "haixia"),
    ("中航", "zhonghang"),
    ("金鹰", "jinying"),
    ("飞鸿", "feihong"),
    ("星河", "xinghe"),
    ("锦程", "jincheng"),
    ("瑞达", "ruida"),
    ("远航", "yuanhang"),
    ("青云", "qingyun"),
    ("九州", "jiuzhou"),
    ("通达", "tongda"),
]
# (industry option, what such a company calls itself)
COMPANY_KINDS = [
    ("飞行培训", ["飞行学院", "航空学校", "飞行培训中心"]),
    ("公务飞行", ["公务航空有限公司", "商务航空股份有限公司"]),
    ("低空旅游", ["低空旅游有限公司", "通航旅游发展有限公司"]),
    ("农林作业", ["农业航空有限公司", "农林航空服务有限公司"]),
    ("医疗救援", ["航空医疗救援有限公司", "直升机救援有限公司"]),
    ("电力巡线", ["电力航空服务有限公司", "通用航空巡检有限公司"]),
    ("航拍测绘", ["航空遥感测绘有限公司", "通航科技有限公司"]),
]
# City, province-level suffix for addresses, latitude, longitude, and a few districts.
CITIES = [
    ("北京", 39.9042, 116.4074, ["朝阳区", "顺义区", "海淀区"]),
    ("上海", 31.2304, 121.4737, ["浦东新区", "闵行区", "长宁区"]),
    ("广州", 23.1291, 113.2644, ["白云区", "天河区", "番禺区"]),
    ("深圳", 22.5431, 114.0579, ["宝安区", "南山区", "龙岗区"]),
    ("成都", 30.5728, 104.0668, ["双流区", "武侯区", "新都区"]),
    ("重庆", 29.5630, 106.5516, ["渝北区", "江北区", "九龙坡区"]),
    ("武汉", 30.5928, 114.3055, ["黄陂区", "江汉区", "东西湖区"]),
    ("西安", 34.3416, 108.9398, ["阎良区", "雁塔区", "未央区"]),
    ("杭州", 30.2741, 120.1551, ["萧山区", "滨江区", "余杭区"]),
    ("南京", 32.0603, 118.7969, ["江宁区", "鼓楼区", "六合区"]),
    ("沈阳", 41.8057, 123.4315, ["浑南区", "和平区", "沈北新区"]),
    ("哈尔滨", 45.8038, 126.5350, ["道里区", "南岗区", "松北区"]),
    ("长沙", 28.2282, 112.9388, ["长沙县", "岳麓区", "雨花区"]),
    ("郑州", 34.7466, 113.6254, ["新郑市", "金水区", "上街区"]),
    ("昆明", 25.0389, 102.7183, ["官渡区", "呈贡区", "五华区"]),
    ("珠海", 22.2710, 113.5767, ["金湾区", "香洲区", "斗门区"]),
    ("三亚", 18.2528, 109.5119, ["天涯区", "吉阳区", "海棠区"]),
    ("青岛", 36.0671, 120.3826, ["胶州市", "崂山区", "城阳区"]),
    ("乌鲁木齐", 43.8256, 87.6168, ["新市区", "天山区", "沙依巴克区"]),
    ("海口", 20.0440, 110.1999, ["美兰区", "龙华区", "秀英区"]),
]
STREETS = ["航空路", "机场大道", "临空经济区", "通航产业园", "蓝天路", "翔云路", "港城大道"]
# Mainland mobile prefixes in service (China Mobile, Unicom, Telecom).
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
]
MAIL_HOSTS = ["163.com", "126.com", "qq.com", "sina.com", "foxmail.com"]
TIERS = [("VIP", 1), ("Gold", 3), ("Standard", 6)]
TAGS = ["重点客户", "新客户", "待续约", "可增购", "需回访", "机队客户"]
# Aircraft models with the kind of use they fit and a typical hourly service rate (CNY).
MODELS = [
    ("Cessna 172", 1800),
    ("Cirrus SR22", 2600),
    ("Diamond DA42", 3200),
    ("Robinson R44", 3000),
    ("Bell 407", 6500),
    ("Airbus H125", 7000),
    ("Piper PA-44", 2800),
    ("King Air 350", 9800),
]
MODEL_FOR_INDUSTRY = {
    "飞行培训": ["Cessna 172", "Diamond DA42", "Piper PA-44", "Cirrus SR22"],
    "公务飞行": ["King Air 350", "Cirrus SR22", "Bell 407"],
    "低空旅游": ["Robinson R44", "Airbus H125", "Cessna 172"],
    "农林作业": ["Robinson R44", "Airbus H125", "Cessna 172"],
    "医疗救援": ["Bell 407", "Airbus H125"],
    "电力巡线": ["Bell 407", "Airbus H125", "Robinson R44"],
    "航拍测绘": ["Cessna 172", "Diamond DA42", "Robinson R44"],
    "私人飞行": ["Cirrus SR22", "Cessna 172", "Robinson R44"],
}
# (title template, base cost in CNY, needs an aircraft)
TICKETS = [
    ("{reg} 100小时定检", 18000, True),
    ("{reg} 年度适航检查", 45000, True),
    ("{reg} 发动机滑油渗漏排查", 12000, True),
    ("{reg} 航电软件升级", 26000, True),
    ("{reg} 螺旋桨动平衡", 8000, True),
    ("{reg} 起落架减震支柱维修", 15000, True),
    ("{reg} 主旋翼桨叶检查", 22000, True),
    ("{reg} ELT 电池更换", 3500, True),
    ("{reg} 机体腐蚀处理", 16000, True),
    ("{reg} 调机飞行保障", 9000, True),
    ("飞行员复训排期", 12000, False),
    ("私照学员理论培训报名", 6800, False),
    ("低空飞行计划报备咨询", 1500, False),
    ("机库租赁续约", 36000, False),
    ("航油结算单核对", 2000, False),
    ("保险理赔资料准备", 3000, False),
    ("新购飞机选型咨询", 5000, False),
    ("客户满意度回访", 0, False),
]
DETAILS = [
    "客户来电报修，需安排机务人员现场确认。",
    "按维修方案执行，完成后提交工作单与放行记录。",
    "备件已订购，等待到货后施工。",
    "客户要求在下一次飞行任务前完成。",
    "已与客户确认报价，待签字后开工。",
]
PRIORITIES = [("紧急", 1), ("高", 3), ("中", 6), ("低", 3)]
NOTES = [
    "偏好周末安排飞行。",
    "对价格较敏感，续约前需提前沟通。",
    "机队计划明年扩充两架。",
    "负责人更换，需重新建立联系。",
    "要求每季度提供维修报告。",
    "关注新能源飞机与 eVTOL 项目。",
    "",
]


def _weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _batches(items: list[dict[str, Any]], size: int = BATCH) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class _Generator:
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


def _write(services: Services, table: str, rows: list[dict[str, Any]]) -> list[int]:
    ids: list[int] = []
    for batch in _batches(rows):
        ids += services.records.bulk(APP_KEY, table, batch, return_items=False)["ids"]
    return ids


def package_text() -> str:
    return PACKAGE.read_text(encoding="utf-8")


def load(
    services: Services,
    *,
    customers: int = 300,
    aircraft: int | None = None,
    tickets: int | None = None,
    seed: int = 7,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Import the app and write demo records: by default ``customers`` customers, half as many
    aircraft and twice as many tickets. Returns the app key and the count written per table."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    n_aircraft = customers // 2 if aircraft is None else aircraft
    n_tickets = customers * 2 if tickets is None else tickets
    rng = random.Random(seed)
    gen = _Generator(rng, now or services.clock.now().astimezone(services.field_ctx.timezone))

    services.packages.import_yaml(package_text())

    customer_rows = [gen.customer(i + 1) for i in range(customers)]
    customer_ids = _write(services, "customers", customer_rows)
    industry_of = {
        cid: row["industry"] for cid, row in zip(customer_ids, customer_rows, strict=True)
    }

    # Aircraft go to companies first (fleet operators own several), then to private owners.
    owners = [cid for cid in customer_ids if industry_of[cid] != "私人飞行"] or customer_ids
    private = [cid for cid in customer_ids if industry_of[cid] == "私人飞行"]
    aircraft_rows = []
    for _ in range(n_aircraft):
        pool = private if private and rng.random() < 0.2 else owners
        owner = rng.choice(pool)
        aircraft_rows.append(gen.aircraft(owner, industry_of[owner]))
    aircraft_ids = _write(services, "aircraft", aircraft_rows) if aircraft_rows else []
    fleet: list[tuple[int, int, str, str]] = [
        (row["owner"], aid, row["registration"], row["model"])
        for aid, row in zip(aircraft_ids, aircraft_rows, strict=True)
    ]

    ticket_rows = []
    for _ in range(n_tickets):
        if fleet and rng.random() < 0.75:
            owner, aid, reg, model = rng.choice(fleet)
            ticket_rows.append(gen.ticket(owner, (aid, reg, model)))
        else:
            ticket_rows.append(gen.ticket(rng.choice(customer_ids), None))
    ticket_rows.sort(key=lambda r: r["opened_at"])  # ticket numbers follow the opening time
    if ticket_rows:
        _write(services, "service_tickets", ticket_rows)

    return {
        "app": APP_KEY,
        "counts": {
            "customers": len(customer_rows),
            "aircraft": len(aircraft_rows),
            "service_tickets": len(ticket_rows),
        },
    }


__all__ = ["APP_KEY", "load", "package_text"]
