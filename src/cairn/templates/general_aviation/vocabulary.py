"""The words the general-aviation demo data is made of: Chinese names with their pinyin, company
name stems and kinds, cities with map positions, mobile prefixes, aircraft models, ticket
titles and notes. Plain data; ``generator.py`` draws from it."""

from __future__ import annotations

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
# The manufacturer of each model (the template's aircraft.manufacturer option).
MAKER_OF = {
    "Cessna 172": "赛斯纳 Cessna",
    "Cirrus SR22": "西锐 Cirrus",
    "Diamond DA42": "钻石 Diamond",
    "Robinson R44": "罗宾逊 Robinson",
    "Bell 407": "贝尔 Bell",
    "Airbus H125": "空客直升机 Airbus",
    "Piper PA-44": "派珀 Piper",
    "King Air 350": "比奇 Beechcraft",
}
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
# What a resolved or closed ticket says was done, by the kind of work (its title's words).
RESOLUTIONS = {
    "定检": "按厂家维修手册完成定检，更换滑油及滤芯，试车正常，已签发放行。",
    "适航": "完成年度适航检查，适航指令执行情况已核对，资料已提交局方。",
    "滑油": "更换发动机摇臂室垫片，清洁后地面试车 30 分钟无渗漏。",
    "航电": "航电软件升级完成，地面功能测试与试飞检查正常。",
    "螺旋桨": "动平衡测量后加装配重，振动值降至 0.1 IPS 以下。",
    "起落架": "更换减震支柱密封件并充氮，顶机收放测试正常。",
    "桨叶": "桨叶检查未见裂纹，前缘防腐胶带已更换。",
    "ELT": "ELT 电池组已更换，自检及 406 MHz 测试正常。",
    "腐蚀": "腐蚀部位打磨除锈并重新涂装，已记录复查间隔。",
}
RESOLUTION_OTHER = [
    "已与客户电话确认处理结果，客户满意。",
    "资料已整理并发送客户，问题关闭。",
    "按客户要求完成，相关单据已归档。",
]
# The items of an inspection checklist (检查单) on a 定检 or 适航检查 ticket.
CHECK_ITEMS = [
    "发动机滑油及滤芯",
    "磁电机正时",
    "火花塞及高压线",
    "操纵钢索张力",
    "起落架及刹车",
    "轮胎磨损",
    "航电设备功能",
    "应急定位发射机 ELT",
    "机体蒙皮及腐蚀",
    "适航指令执行情况",
    "飞行记录本核对",
]
CHECK_FAILS = ["磨损超标，已更换", "间隙偏大，已调整", "发现轻微腐蚀，已处理", "读数超限，待复查"]
# Quotes (报价单): the work quoted and its lines (item, kind, unit, quantity range, unit
# price in CNY; None: per hour, labour at the aircraft's labour rate, a flight at its rate).
QuoteLine = tuple[str, str, str, tuple[float, float], float | None]
QUOTE_WORK: list[tuple[str, list[QuoteLine]]] = [
    (
        "100小时定检",
        [
            ("100小时定检工时", "工时", "小时", (16, 32), None),
            ("航空滑油 Aeroshell W100", "航材", "夸脱", (8, 12), 95),
            ("滑油滤芯", "航材", "件", (1, 1), 680),
            ("火花塞", "航材", "件", (4, 8), 420),
            ("航材运费", "其他", "批", (1, 1), 300),
        ],
    ),
    (
        "年度适航检查",
        [
            ("年检工时", "工时", "小时", (40, 80), None),
            ("刹车片", "航材", "件", (2, 4), 860),
            ("主轮轮胎", "航材", "条", (1, 2), 1800),
            ("适航检查申请代办", "其他", "次", (1, 1), 2000),
            ("称重与重心复核", "工时", "小时", (3, 5), None),
        ],
    ),
    (
        "螺旋桨动平衡",
        [
            ("动平衡测量与调整", "工时", "小时", (4, 6), None),
            ("配重片", "航材", "套", (1, 1), 350),
        ],
    ),
    (
        "ELT 电池更换",
        [
            ("ELT 电池组", "航材", "件", (1, 1), 4200),
            ("拆装及测试", "工时", "小时", (2, 3), None),
        ],
    ),
    (
        "航电软件升级",
        [
            ("航电软件升级授权", "航材", "套", (1, 1), 18000),
            ("升级与地面测试", "工时", "小时", (6, 10), None),
            ("试飞检查", "其他", "次", (1, 1), 3000),
        ],
    ),
    (
        "起落架减震支柱维修",
        [
            ("起落架维修工时", "工时", "小时", (8, 14), None),
            ("减震支柱密封件包", "航材", "套", (1, 1), 2600),
            ("液压油 MIL-PRF-5606", "航材", "升", (2, 4), 160),
            ("氮气充填", "其他", "次", (1, 1), 200),
        ],
    ),
    (
        "发动机滑油渗漏排查",
        [
            ("渗漏排查工时", "工时", "小时", (4, 8), None),
            ("摇臂室垫片", "航材", "件", (2, 6), 260),
            ("航空滑油 Aeroshell W100", "航材", "夸脱", (2, 4), 95),
        ],
    ),
    (
        "调机飞行保障",
        [
            ("调机飞行", "其他", "小时", (2, 6), None),
            ("机组差旅", "其他", "次", (1, 1), 3500),
            ("起降及停场费", "其他", "次", (1, 2), 800),
        ],
    ),
]
QUOTE_REJECTIONS = [
    "客户认为工时报价偏高，已转其他维修单位。",
    "客户决定推迟定检，下季度再议。",
    "航材交期过长，客户无法接受停场时间。",
    "客户自行采购航材，只需工时报价，已另开报价单。",
]
QUOTE_NOTES = [
    "报价含税（增值税 13%），航材价格以到货时为准。",
    "停场时间约 3 个工作日，需客户提前调机至基地。",
    "VIP 客户，按年度协议价执行。",
    "",
]

# Interactions with a customer (互动记录): per kind, its direction and subjects; the
# weights say how often each kind happens.
INTERACTION_KINDS = [("call", 6), ("visit", 2), ("email", 3), ("meeting", 1), ("order", 1)]
INTERACTION_SUBJECTS = {
    "call": [
        ("in", "来电咨询年检时间安排"),
        ("in", "来电询问航材到货进度"),
        ("in", "来电反映发动机启动困难"),
        ("out", "回访上次维修满意度"),
        ("out", "电话确认定检预约"),
        ("out", "提醒保险即将到期"),
    ],
    "visit": [
        ("out", "上门拜访，了解新年度机队计划"),
        ("out", "现场查看飞机停放与维护条件"),
        ("in", "客户来访参观维修机库"),
    ],
    "email": [
        ("out", "发送年度维修计划建议"),
        ("out", "发送报价单及航材清单"),
        ("in", "客户邮件确认维修方案"),
        ("in", "客户邮件索要发票"),
    ],
    "meeting": [
        ("out", "年度合作回顾会议"),
        ("out", "飞行安全培训沟通会"),
    ],
    "order": [
        ("in", "订购航材：机油滤芯与火花塞"),
        ("in", "订购飞行员耳机与应急设备"),
    ],
}
