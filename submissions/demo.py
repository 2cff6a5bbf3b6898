"""Demonstration data: a provincial information-consumption selection, created through the services.

`python -m submissions.demo` opens the store from the environment (`APP_DATA_DIR`,
`APP_DATABASE_URL`) and, when it has no users yet, fills it with a realistic, seeded selection:

- an administrator (省工信厅信息消费处) and 8 reviewers from universities, institutes and two
  applicant companies (so same-organisation conflicts are detected), from several provinces, each
  with a severity of their own (one lenient, one harsh);
- 57 fictional applicant organisations (13 city bureaus, 44 companies) with valid unified social
  credit codes whose division code matches their city, one applicant account each;
- 60 applications in four rounds, each round in a different state: a city round under review
  (most sheets submitted, a few drafts), a closed public-service round, a published (公示) life
  round and an industry round still open; plus a project round in draft. A few applications fail
  a gate or a veto, a few stay drafts, one is withdrawn; most carry a self-assessment.

Everything goes through the service functions, so permissions, validation and the audit log apply
exactly as for users. The store's clock is replayed along a timeline that ends before now: each
round's events happen on the days its deadlines imply, so deadlines are enforced and the audit log
reads like a real selection. All demo accounts share one password, `APP_DEMO_PASSWORD` or
`DEFAULT_PASSWORD`. A store that already has users is left untouched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import os
import sys
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from rubrics.credit_code import check_character
from rubrics.schema import Criterion, Rubric
from scoring.synthetic import credit_codes
from submissions import accounts, applications, assignments, reviews, rounds
from submissions.access import STATE_LABELS, Actor
from submissions.errors import OperationError, SubmissionError
from submissions.store import Store

DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105 - a published demo password, by design
ADMIN_OFFICE = "省工信厅信息消费处"
SEED = 2026
BEIJING = dt.timezone(dt.timedelta(hours=8))

# -- who takes part ------------------------------------------------------------------------------

# City -> (province as in `submissions.regions`, administrative-division code, positions 3-8 of a code).
CITIES: dict[str, tuple[str, str]] = {
    "北京": ("北京", "110108"),
    "上海": ("上海", "310104"),
    "深圳": ("广东", "440300"),
    "广州": ("广东", "440100"),
    "佛山": ("广东", "440600"),
    "东莞": ("广东", "441900"),
    "杭州": ("浙江", "330100"),
    "宁波": ("浙江", "330200"),
    "南京": ("江苏", "320100"),
    "苏州": ("江苏", "320500"),
    "成都": ("四川", "510100"),
    "武汉": ("湖北", "420100"),
    "重庆": ("重庆", "500000"),
    "哈尔滨": ("黑龙江", "230100"),
    "大庆": ("黑龙江", "230600"),
    "合肥": ("安徽", "340100"),
    "青岛": ("山东", "370200"),
    "贵阳": ("贵州", "520100"),
    "西安": ("陕西", "610100"),
    "郑州": ("河南", "410100"),
    "长沙": ("湖南", "430100"),
    "福州": ("福建", "350100"),
    "厦门": ("福建", "350200"),
}
# The first two characters of a code: registering authority and organisation type (GB 32100-2015).
CODE_PREFIX = {"enterprise": "91", "institution": "12", "government": "11"}
CERTIFICATES = {"enterprise": "营业执照副本", "institution": "事业单位法人证书", "government": "统一社会信用代码证书"}


@dataclass(frozen=True)
class Org:
    key: str  # also the user name of its applicant account
    name: str
    city: str
    kind: str = "enterprise"

    @property
    def region(self) -> str:
        return CITIES[self.city][0]


@dataclass(frozen=True)
class Reviewer:
    username: str
    name: str
    org: str  # an Org key
    severity: float  # added to the fraction of each criterion's maximum the reviewer gives


@dataclass(frozen=True)
class Proposal:
    """One application to file.

    `fate`: submitted, draft (complete but never submitted), partial (a draft left half-way) or
    withdrawn (submitted, then withdrawn). `flips` names a declaration answered against the rules,
    so the application fails that gate or veto.
    """

    org: str
    title: str
    fate: str = "submitted"
    flips: str | None = None
    indicators: dict[str, float] = field(default_factory=dict)
    quality: float | None = None  # how good it really is, 0..1; drawn at random when None


ACADEMIC = (
    Org("tsinghua", "清华大学", "北京", "institution"),
    Org("caict", "中国信息通信研究院", "北京", "institution"),
    Org("scut", "华南理工大学", "广州", "institution"),
    Org("zju", "浙江大学", "杭州", "institution"),
    Org("whu", "武汉大学", "武汉", "institution"),
    Org("sass", "上海社会科学院", "上海", "institution"),
)

REVIEWERS = (
    Reviewer("chensiyuan", "陈思远", "tsinghua", 0.00),
    Reviewer("linxiaolan", "林晓岚", "caict", 0.11),  # lenient
    Reviewer("zhoujianguo", "周建国", "scut", -0.14),  # harsh
    Reviewer("wanghuimin", "王慧敏", "zju", 0.03),
    Reviewer("liuzhenhua", "刘振华", "whu", -0.04),
    Reviewer("sunyating", "孙雅婷", "sass", 0.05),
    Reviewer("zhaoyiming", "赵一鸣", "yunqi", -0.02),  # works for an applicant company
    Reviewer("huanglixin", "黄立新", "tianfu", 0.01),  # works for an applicant company
)

# City bureaus: (key, bureau, city, park, local speciality, scale 亿元, growth %, villages %, Mbps).
CITY_BUREAUS = (
    ("gxj-shenzhen", "深圳市工业和信息化局", "深圳", "南山科技园", "电子信息制造和智能终端", 5200, 16.5, 100, 10000),
    ("gxj-guangzhou", "广州市工业和信息化局", "广州", "天河软件园", "商贸流通和数字内容", 4300, 14.2, 99.5, 10000),
    ("gxj-foshan", "佛山市工业和信息化局", "佛山", "顺德智能家电产业园", "家电制造数字化转型", 1650, 12.8, 99, 1000),
    ("jxj-hangzhou", "杭州市经济和信息化局", "杭州", "未来科技城", "电子商务和数字支付", 4100, 17.8, 99.2, 10000),
    ("gxj-nanjing", "南京市工业和信息化局", "南京", "雨花软件谷", "软件和信息服务", 2600, 12.1, 98.6, 1000),
    ("jxj-chengdu", "成都市经济和信息化局", "成都", "天府软件园", "数字文创和游戏动漫", 3100, 15.4, 97.1, 1000),
    ("jxj-wuhan", "武汉市经济和信息化局", "武汉", "东湖高新区", "光电子信息", 2500, 13.6, 96.8, 1000),
    (
        "jxw-chongqing",
        "重庆市经济和信息化委员会",
        "重庆",
        "两江数字经济产业园",
        "智能终端和汽车电子",
        2900,
        13.9,
        95.4,
        1000,
    ),
    ("gxj-harbin", "哈尔滨市工业和信息化局", "哈尔滨", "哈尔滨新区", "冰雪旅游数字化", 820, 9.2, 91.5, 500),
    ("jxj-hefei", "合肥市经济和信息化局", "合肥", "中国声谷", "智能语音和新型显示", 1500, 18.6, 98.9, 1000),
    ("gxj-qingdao", "青岛市工业和信息化局", "青岛", "青岛软件园", "智能家电和工业互联网", 1800, 11.6, 99.1, 1000),
    ("gxj-guiyang", "贵阳市工业和信息化局", "贵阳", "贵安数据中心集聚区", "大数据产业", 700, 21.3, 93.0, 500),
    ("gxj-xian", "西安市工业和信息化局", "西安", "西安高新区", "数字文旅和硬科技", 1400, 12.4, 94.2, 1000),
)
CITY_FATES = {"gxj-guiyang": ("submitted", "experience_platform"), "gxj-xian": ("partial", None)}

COMPANIES = (
    Org("yunqi", "深圳云启智联科技有限公司", "深圳"),
    Org("qianfan", "杭州千帆视界数字科技有限公司", "杭州"),
    Org("rongjin", "成都蓉锦数字文创有限公司", "成都"),
    Org("chutian", "武汉楚天康养信息技术有限公司", "武汉"),
    Org("yueting", "广州悦听网络科技有限公司", "广州"),
    Org("jinling", "南京金陵智家科技有限公司", "南京"),
    Org("leyou", "重庆山城乐游数字科技有限公司", "重庆"),
    Org("bingcheng", "哈尔滨冰城云动体育科技有限公司", "哈尔滨"),
    Org("shenggu", "合肥声谷语联智能科技有限公司", "合肥"),
    Org("mindu", "福州闽都智慧社区服务有限公司", "福州"),
    Org("xingcheng", "长沙星城融媒文化传播有限公司", "长沙"),
    Org("haianxian", "青岛海岸线智能家电科技有限公司", "青岛"),
    Org("yunke", "西安长安云课教育科技有限公司", "西安"),
    Org("kuaixiang", "郑州中原快享网络科技有限公司", "郑州"),
    Org("ludao", "厦门鹭岛智游信息技术有限公司", "厦门"),
    Org("yongcheng", "宁波甬城健康管家科技有限公司", "宁波"),
    Org("tianfu", "成都天府数智医疗科技有限公司", "成都"),
    Org("zhucheng", "贵阳筑城数据服务有限公司", "贵阳"),
    Org("gusu", "苏州姑苏智慧交通科技有限公司", "苏州"),
    Org("jiangcheng", "武汉江城教育云科技有限公司", "武汉"),
    Org("suikang", "广州穗康医疗信息技术有限公司", "广州"),
    Org("hupan", "杭州湖畔城市数据科技有限公司", "杭州"),
    Org("longjiang", "哈尔滨龙江惠农信息服务有限公司", "哈尔滨"),
    Org("qinchuan", "西安秦川智慧养老服务有限公司", "西安"),
    Org("luzhou", "合肥庐州法务科技有限公司", "合肥"),
    Org("liangjiang", "重庆两江人社数字服务有限公司", "重庆"),
    Org("zijin", "南京紫金数字文旅发展有限公司", "南京"),
    Org("huanghe", "郑州黄河智慧水务科技有限公司", "郑州"),
    Org("xiangjiang", "长沙湘江智慧社区科技有限公司", "长沙"),
    Org("youcheng", "大庆油城智慧供热科技有限公司", "大庆"),
    Org("rongcheng", "福州榕城数字人社科技有限公司", "福州"),
    Org("songhu", "东莞松湖智造科技有限公司", "东莞"),
    Org("shunde", "佛山顺德家电云链科技有限公司", "佛山"),
    Org("gangcheng", "宁波港城智慧物流有限公司", "宁波"),
    Org("yuanqu", "苏州园区智造云科技有限公司", "苏州"),
    Org("luhai", "重庆陆海数字贸易科技有限公司", "重庆"),
    Org("guanggu", "武汉光谷智联汽车科技有限公司", "武汉"),
    Org("heitu", "大庆黑土能源物联科技有限公司", "大庆"),
    Org("xingji", "长沙星际机械云科技有限公司", "长沙"),
    Org("lengl", "郑州中原冷链科技有限公司", "郑州"),
    Org("yunling", "贵阳云岭数据科技有限公司", "贵阳"),
    Org("minjiang", "福州闽江纺织智造有限公司", "福州"),
    Org("ganghang", "厦门鹭岛港航信息科技有限公司", "厦门"),
    Org("tianhe", "广州天河供应链科技有限公司", "广州"),
)

LIFE = (
    Proposal("yunqi", "云启智慧家庭全屋互联服务平台"),
    Proposal("qianfan", "千帆8K超高清互动视听服务"),
    Proposal("rongjin", "蓉锦数字文博沉浸式体验项目"),
    Proposal("chutian", "楚天智慧社区居家养老服务平台"),
    Proposal("yueting", "悦听有声阅读与知识服务平台"),
    Proposal("jinling", "金陵智家适老化智能家居改造项目"),
    Proposal("leyou", "山城乐游全域智慧旅游服务平台"),
    Proposal("bingcheng", "冰雪运动线上线下融合消费平台"),
    Proposal("shenggu", "语联智能语音家庭助手"),
    Proposal("mindu", "闽都15分钟便民生活圈数字化服务"),
    Proposal("xingcheng", "星城融媒数字文化内容创作平台"),
    Proposal("haianxian", "海岸线智慧厨房物联网服务平台"),
    Proposal("yunke", "长安云课家庭智能教育服务平台"),
    Proposal("kuaixiang", "中原快享社区便民即时配送平台"),
    Proposal("ludao", "鹭岛VR云游博物馆项目"),
    Proposal("yongcheng", "甬城家庭健康管理服务平台", flips="security_incident"),
)
PUBLIC_SERVICE = (
    Proposal("tianfu", "天府互联网医院与分级诊疗协同平台"),
    Proposal("zhucheng", "筑城“一网通办”政务服务平台"),
    Proposal("gusu", "姑苏城市出行即服务(MaaS)平台"),
    Proposal("jiangcheng", "江城优质教育资源共享云课堂"),
    Proposal("suikang", "穗康区域医学影像云平台"),
    Proposal("hupan", "城市停车“一张网”智慧停车服务"),
    Proposal("longjiang", "龙江益农信息社综合服务平台"),
    Proposal("qinchuan", "秦川智慧养老公共服务平台"),
    Proposal("luzhou", "庐州在线公共法律服务平台"),
    Proposal("liangjiang", "两江社保就业一站式线上服务"),
    Proposal("zijin", "紫金公共文化云服务平台"),
    Proposal("huanghe", "黄河智慧水务便民缴费服务平台"),
    Proposal("xiangjiang", "湘江社区网格化智慧治理平台"),
    Proposal("youcheng", "油城智慧供热民生服务平台"),
    Proposal("rongcheng", "榕城电子社保卡惠民服务平台", flips="not_blacklisted"),
)
INDUSTRY = (
    Proposal("yunqi", "云启工业设备上云服务平台"),
    Proposal("songhu", "松湖电子制造工业互联网平台"),
    Proposal("shunde", "顺德家电产业集群供应链协同平台"),
    Proposal("gangcheng", "港城多式联运智慧物流平台"),
    Proposal("haianxian", "海岸线家电柔性制造与C2M定制平台"),
    Proposal("yuanqu", "园区中小企业上云用云服务平台"),
    Proposal("luhai", "陆海新通道跨境电商综合服务平台"),
    Proposal("guanggu", "智能网联汽车后市场服务平台"),
    Proposal("shenggu", "智能语音工业质检平台"),
    Proposal("heitu", "油气生产物联网智能运维平台"),
    Proposal("xingji", "工程机械远程运维与共享租赁平台"),
    Proposal("lengl", "农产品冷链溯源与交易平台"),
    Proposal("yunling", "工业大数据能效管理平台"),
    Proposal("minjiang", "纺织服装产业互联网平台", fate="draft"),
    Proposal("ganghang", "港航物流电子单证平台", fate="partial"),
    Proposal("tianhe", "商贸流通供应链数字化服务平台", fate="withdrawn"),
)


def city_proposals() -> tuple[Proposal, ...]:
    proposals = []
    for key, _, city, _, _, scale, growth, villages, mbps in CITY_BUREAUS:
        fate, flips = CITY_FATES.get(key, ("submitted", None))
        indicators = {
            "info_consumption_scale": float(scale),
            "info_consumption_growth": growth,
            "village_fibre_4g_rate": float(villages),
            "urban_access_mbps": float(mbps),
        }
        # Bigger, faster-growing information economies tend to file stronger applications.
        quality = 0.52 + 0.3 * np.log(scale / 700) / np.log(5200 / 700) + 0.01 * (growth - 14)
        title = f"{city}市创建新型信息消费示范城市(综合型)"
        proposals.append(Proposal(key, title, fate, flips, indicators, float(quality)))
    return tuple(proposals)


# -- the timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundPlan:
    """One round's timeline in days from now (None: the round never gets there) and its settings."""

    key: str
    rubric_id: str
    name: str
    proposals: tuple[Proposal, ...]
    created: int
    application_deadline: int
    review_deadline: int
    opened: int | None = None
    applications: tuple[float, float] | None = None
    assigned: int | None = None
    review: int | None = None
    sheets: tuple[float, float] | None = None
    reopen: int | None = None
    closed: int | None = None
    published: int | None = None
    settings: dict = field(default_factory=dict)
    conflicts: tuple[tuple[str, str, str], ...] = ()  # reviewer, organisation key, reason
    unfinished: dict[str, tuple[int, int]] = field(default_factory=dict)  # reviewer: (drafts, untouched)


def round_plans(year: int) -> tuple[RoundPlan, ...]:
    return (
        RoundPlan(
            "life",
            "project_life",
            f"{year}年新型信息消费示范项目(生活类)",
            LIFE,
            created=-80,
            opened=-78,
            applications=(-76, -52),
            application_deadline=-50,
            assigned=-49,
            review=-48,
            sheets=(-46, -30),
            review_deadline=-28,
            closed=-27,
            published=-3,
            settings={"reviewers_per_application": 5, "min_comment_length": 10},
            conflicts=(
                ("wanghuimin", "qianfan", "近三年曾为该企业提供技术咨询服务,按规定申请回避。"),
                ("liuzhenhua", "chutian", "本人担任该企业外部技术顾问,申请回避。"),
            ),
        ),
        RoundPlan(
            "public_service",
            "project_public_service",
            f"{year}年新型信息消费示范项目(公共服务类)",
            PUBLIC_SERVICE,
            created=-62,
            opened=-60,
            applications=(-58, -38),
            application_deadline=-36,
            assigned=-35,
            review=-34,
            sheets=(-33, -19),
            reopen=-17,
            review_deadline=-12,
            closed=-10,
            settings={"reviewers_per_application": 4, "aggregation": "mean", "blind_policy": "sealed"},
            conflicts=(("chensiyuan", "zijin", "本人所在团队与申报单位有在研合作项目,申请回避。"),),
        ),
        RoundPlan(
            "city",
            "city_comprehensive",
            f"{year}年新型信息消费示范城市(综合型)",
            city_proposals(),
            created=-46,
            opened=-44,
            applications=(-42, -16),
            application_deadline=-14,
            assigned=-13,
            review=-12,
            sheets=(-10, -1),
            review_deadline=10,
            settings={"reviewers_per_application": 5, "conflict_same_region": True, "min_comment_length": 10},
            conflicts=(
                ("linxiaolan", "gxj-shenzhen", "本人参与编制了该市信息消费发展规划,须回避。"),
                ("sunyating", "jxj-hangzhou", "近三年承担过该市信息消费相关咨询课题,申请回避。"),
            ),
            unfinished={"liuzhenhua": (1, 2), "sunyating": (2, 0)},
        ),
        RoundPlan(
            "industry",
            "project_industry",
            f"{year}年新型信息消费示范项目(行业类)",
            INDUSTRY,
            created=-20,
            opened=-18,
            applications=(-17, -1),
            application_deadline=21,
            review_deadline=45,
            settings={"reviewers_per_application": 3},
        ),
        RoundPlan(
            "new_product",
            "project_new_product",
            f"{year}年新型信息消费示范项目(新型信息产品消费)",
            (),
            created=-2,
            application_deadline=30,
            review_deadline=60,
        ),
    )


class ReplayClock:
    """The store's clock during the demo: set by the timeline, never past the real time it started."""

    def __init__(self, start: dt.datetime):
        self.start = start
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def day(self, days: int, hour: float = 10.0) -> dt.datetime:
        """`hour` o'clock Beijing time, on the day `days` days from the day the demo runs."""
        local = (self.start + dt.timedelta(days=days)).astimezone(BEIJING)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        return (midnight + dt.timedelta(hours=hour)).astimezone(dt.UTC)


Script = Iterator[dt.datetime]


def replay(clock: ReplayClock, scripts: Iterable[Script]) -> None:
    """Run scripts interleaved in time order: each yields when its next step happens, then does it."""
    queue: list[tuple[dt.datetime, int, Script]] = []

    def schedule(order: int, script: Script) -> None:
        when = next(script, None)
        if when is not None:
            heapq.heappush(queue, (when, order, script))

    for order, script in enumerate(scripts):
        schedule(order, script)
    while queue:
        when, order, script = heapq.heappop(queue)
        clock.now = max(clock.now, min(when, clock.start))
        schedule(order, script)


# -- what applicants write -----------------------------------------------------------------------

# Criterion id -> (narrative, evidence); placeholders come from `_facts`.
TEXTS: dict[str, tuple[str, str]] = {
    # cities
    "consumption_growth_score": ("", "《{city}市信息消费规模测算说明》(市统计局出具)"),
    "growth_lead_bonus": ("", "《{city}市信息消费规模测算说明》(市统计局出具)"),
    "village_coverage_score": ("", "省通信管理局行政村光纤和4G覆盖统计表"),
    "urban_access_score": ("", "基础电信企业千兆接入能力证明"),
    "livelihood_applications": (
        "{city}围绕教育、医疗、养老、交通等领域推广信息惠民应用,城市服务平台注册用户{users}万人,"
        "接入高频民生服务{services}项。",
        "《信息惠民应用推广情况报告》;城市服务平台运营统计",
    ),
    "consumer_skills": (
        "实施全民数字素养提升行动,近三年面向老年人、农村居民开展信息技能培训{trained}万人次,建成社区培训点{sites}个。",
        "培训台账;第三方培训效果评估报告",
    ),
    "experience_carriers": (
        "建成信息消费体验中心{centres}个,连续三年举办信息消费节,带动线上线下消费{festival}亿元。",
        "体验中心建设验收材料;信息消费节活动总结",
    ),
    "industry_foundation": (
        "全市电子信息制造业和软件业营业收入{revenue}亿元,规模以上信息技术企业{firms}家。",
        "统计年鉴;工业和信息化运行监测数据",
    ),
    "industry_chain": (
        "形成从核心元器件、智能终端到软件和信息服务的产业链,重点产业链本地配套率约{local_rate}%。",
        "重点产业链图谱及配套企业名录",
    ),
    "cluster_effect": (
        "依托{park}集聚信息消费相关企业{park_firms}家,园区营业收入年均增长{park_growth}%。",
        "园区管委会统计数据",
    ),
    "regional_character": (
        "立足{speciality}优势,形成具有本地特色的信息消费模式,相关做法被多地学习借鉴。",
        "典型案例汇编;媒体报道",
    ),
    "demonstration_projects": (
        "近三年培育省级以上信息消费示范项目{projects}个,建成信息消费公共服务平台{platforms}个。",
        "示范项目认定文件清单",
    ),
    "payment_logistics": (
        "移动支付普及率{payment}%,快递服务实现乡镇全覆盖,城区“半日达”比例{express}%。",
        "人民银行分支机构支付统计;邮政管理部门数据",
    ),
    "credit_system": (
        "建成信用信息共享平台,在电子商务、网络服务领域实施信用分级分类监管,开通消费维权“绿色通道”。",
        "信用平台建设文件;市场监管部门工作报告",
    ),
    "security_privacy": (
        "重要信息系统全部完成网络安全等级保护测评,建立数据和个人信息泄露报告机制,近三年未发生重大安全事件。",
        "等级保护测评报告清单;网信部门证明",
    ),
    "organisation": (
        "成立由市政府主要领导任组长的信息消费工作领导小组,建立部门联席会议和年度督查机制。",
        "领导小组成立文件;联席会议纪要",
    ),
    "policy_funding": (
        "出台《{city}市扩大和升级信息消费实施方案》,市级财政每年安排专项资金{fund}亿元。",
        "实施方案文件;专项资金安排文件",
    ),
    "statistics_monitoring": (
        "建立信息消费统计监测指标体系,按季度发布信息消费发展报告。",
        "统计监测制度文件;季度监测报告",
    ),
    "five_g_bonus": (
        "已建成5G基站{base_stations}个,实现主城区5G连续覆盖和千兆光网全覆盖。",
        "通信管理局5G建设统计",
    ),
    "national_pilot_bonus": (
        "承担国家信息惠民、智慧城市等国家级试点示范{pilots}项。",
        "国家级试点批复文件",
    ),
    # projects
    "business_growth_score": ("", "近三年审计报告;业务量统计报表"),
    "ecommerce_adoption_score": ("", "服务企业电子商务应用情况调查表"),
    "market_prospect": (
        "“{title}”面向{market}需求,采用“{model}”模式,已实现盈利,近三年业务量年均增长{growth}%。",
        "近三年审计报告;主要客户合同清单",
    ),
    "industry_pull": (
        "项目带动上下游合作伙伴{partners}家,间接带动就业约{jobs}人。",
        "合作协议清单;带动就业测算说明",
    ),
    "consumer_reach": (
        "累计服务用户{users}万人,覆盖{cities}个地市,其中县域及农村用户约占{rural}%。",
        "用户规模统计(第三方审计)",
    ),
    "replicability": (
        "形成标准化解决方案和运营手册,已在{cities}个地市复制推广。",
        "推广地区合同及应用证明",
    ),
    "recognition": (
        "用户满意度{satisfaction}%,获得省级以上媒体报道和行业奖项{awards}项。",
        "满意度调查报告;获奖证书",
    ),
    "technology_innovation": (
        "综合运用{tech}等新技术,拥有相关专利和软件著作权{patents}项。",
        "专利证书和软件著作权登记证书",
    ),
    "security_compliance": (
        "核心系统通过网络安全等级保护{level}测评,建立个人信息分类分级保护和应急响应制度。",
        "等级保护测评报告;个人信息保护制度文件",
    ),
    "implementation_basis": (
        "项目总投资{invest}万元,研发和运营团队{staff}人,由企业主要负责人牵头推进。",
        "投资计划;团队人员名单",
    ),
    "digital_home": (
        "提供智能家居、超高清视频等家庭场景服务,接入智能终端{devices}万台。",
        "终端接入统计;产品说明",
    ),
    "digital_culture": (
        "汇聚数字文化内容{contents}万条,开展线上演出、数字文博等新型文化消费活动。",
        "内容版权清单;活动报道",
    ),
    "smart_community_care": (
        "在{communities}个社区部署智慧养老和健康服务终端,为老年人提供一键呼叫、远程问诊等服务。",
        "社区合作协议;服务记录统计",
    ),
    "service_effect": (
        "平台上线服务事项{services}项,年办件量{cases}万件,平均办理时间缩短{time_cut}%。",
        "平台运行报告;主管部门证明",
    ),
    "equal_access": (
        "通过远程服务将优质资源延伸至{counties}个县(区),基层使用率逐年提升。",
        "县级应用情况统计",
    ),
    "platform_integration": (
        "与省级政务数据共享平台对接,打通{systems}个部门业务系统,实现数据“一次采集、多方复用”。",
        "数据共享接口清单",
    ),
    "operation_model": (
        "采用“政府引导、企业运营”模式,建立服务质量评价和持续运营机制。",
        "运营协议;服务质量评价办法",
    ),
    "industrial_internet_cloud": (
        "平台连接工业设备{devices}万台,帮助{firms}家企业上云用云。",
        "平台接入设备统计;上云企业名单",
    ),
    "supply_chain_logistics": (
        "打通采购、生产、仓储、物流全链条数据,订单交付周期缩短{time_cut}%。",
        "典型企业应用案例",
    ),
    "efficiency_gain": (
        "服务企业平均生产效率提升{efficiency}%,运营成本降低{cost_cut}%。",
        "应用企业效益证明",
    ),
    "inclusion_bonus": (
        "推出适老化和无障碍服务,为农村居民、老年人提供专属服务,累计服务{elderly}万人次。",
        "适老化改造评测报告",
    ),
    "standard_bonus": (
        "牵头或参与制定行业标准、团体标准{standards}项。",
        "标准发布文件",
    ),
}

MARKETS = {
    "life": ("家庭和个人消费者", "硬件+内容+服务"),
    "public_service": ("政府部门和社会公众", "政府购买服务+增值运营"),
    "industry": ("制造和流通企业", "平台+订阅服务"),
    "new_product": ("个人和家庭消费者", "产品+服务"),
    "support_platform": ("中小企业", "开放平台+按需付费"),
}
TECHNOLOGIES = ("5G", "物联网", "大数据", "云计算", "人工智能", "区块链", "VR/AR", "北斗")

COMMENTS = (  # by grade: 优 (>= 85 % of the maximum), 良 (>= 70 %), 中 (>= 55 %), 差
    (0.85, ("“{label}”成效突出,材料翔实,示范作用明显。", "“{label}”指标先进,建议作为典型经验推广。")),
    (0.70, ("“{label}”基础较好,但部分成效缺少第三方数据佐证。", "“{label}”总体良好,建议进一步量化带动效果。")),
    (0.55, ("“{label}”表述较笼统,支撑材料不足,建议补充。", "“{label}”一般,与同类申报相比优势不明显。")),
    (0.0, ("“{label}”论证薄弱,缺少实质性成果和数据支撑。", "“{label}”未提供有效证明材料,得分较低。")),
)


def _facts(rng: np.random.Generator, plan: RoundPlan, proposal: Proposal, org: Org, extra: dict) -> dict:
    """The numbers an application's texts quote, drawn once per application."""
    market, model = MARKETS.get(plan.rubric_id.removeprefix("project_"), MARKETS["life"])

    def ints(low: int, high: int) -> int:
        return int(rng.integers(low, high))

    return {
        "title": proposal.title,
        "city": org.city,
        "market": market,
        "model": model,
        "tech": "、".join(rng.choice(TECHNOLOGIES, size=3, replace=False)),
        "level": "第三级" if rng.random() < 0.6 else "第二级",
        "users": ints(12, 900),
        "services": ints(40, 320),
        "trained": ints(5, 80),
        "sites": ints(30, 400),
        "centres": ints(2, 12),
        "festival": ints(20, 300),
        "revenue": ints(800, 12000),
        "firms": ints(60, 1800),
        "local_rate": ints(35, 75),
        "park_firms": ints(200, 3000),
        "park_growth": ints(8, 25),
        "projects": ints(4, 30),
        "platforms": ints(2, 15),
        "payment": ints(86, 99),
        "express": ints(60, 95),
        "fund": round(float(rng.uniform(0.5, 5.0)), 1),
        "base_stations": ints(3000, 40000),
        "pilots": ints(1, 6),
        "growth": ints(8, 60),
        "partners": ints(15, 400),
        "jobs": ints(200, 8000),
        "cities": ints(3, 40),
        "rural": ints(10, 45),
        "satisfaction": ints(88, 99),
        "awards": ints(1, 9),
        "patents": ints(8, 160),
        "invest": ints(1500, 60000),
        "staff": ints(25, 600),
        "devices": ints(2, 120),
        "contents": ints(3, 200),
        "communities": ints(20, 600),
        "cases": ints(5, 900),
        "time_cut": ints(20, 70),
        "counties": ints(5, 90),
        "systems": ints(6, 40),
        "efficiency": ints(8, 35),
        "cost_cut": ints(5, 25),
        "elderly": ints(2, 90),
        "standards": ints(1, 6),
        **extra,
    }


def _on_grid(criterion: Criterion, fraction: float) -> Decimal:
    """`fraction` of the criterion's maximum, rounded to its step, within [0, max]."""
    step = criterion.step or Decimal("0.5")
    top = criterion.max_points
    steps = round(float(np.clip(fraction, 0.0, 1.0)) * float(top) / float(step))
    return min(max(step * steps, Decimal(0)), top)


@dataclass
class Merit:
    """How good an application really is: overall and per criterion (what reviewers perceive)."""

    quality: float
    by_criterion: dict[str, float]
    claimed_bonus: frozenset[str]

    def fraction(self, criterion_id: str) -> float:
        return self.quality + self.by_criterion.get(criterion_id, 0.0)


# -- the run -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    organisation: str


@dataclass
class Demo:
    """What the scripts share: the store, its clock, and the ids of what they created."""

    store: Store
    clock: ReplayClock
    password: str
    admin: Actor | None = None
    org_ids: dict[str, int] = field(default_factory=dict)
    orgs: dict[str, Org] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)  # by user name
    logins: list[Login] = field(default_factory=list)
    merit: dict[int, Merit] = field(default_factory=dict)  # by application id
    round_ids: dict[str, int] = field(default_factory=dict)  # by plan key

    def day(self, days: int, hour: float = 10.0) -> dt.datetime:
        return self.clock.day(days, hour)


def _credit_code(body: str, org: Org) -> str:
    """A fictional code with the organisation type and the city's division code, and a valid check."""
    first17 = CODE_PREFIX[org.kind] + CITIES[org.city][1] + body[8:17]
    return first17 + check_character(first17)


def _accounts(demo: Demo) -> Script:
    bureaus = tuple(Org(key, name, city, "government") for key, name, city, *_ in CITY_BUREAUS)
    everyone = ACADEMIC + bureaus + COMPANIES
    bodies = credit_codes(len(everyone), np.random.default_rng(SEED))
    yield demo.day(-90, 9.5)
    for org, body in zip(everyone, bodies, strict=True):
        created = accounts.create_organisation(
            demo.store, demo.admin, name=org.name, credit_code=_credit_code(str(body), org), region=org.region
        )
        demo.org_ids[org.key], demo.orgs[org.key] = created.id, org
    yield demo.day(-89, 10)
    for reviewer in REVIEWERS:
        org = demo.orgs[reviewer.org]
        _add_user(demo, reviewer.username, reviewer.name, "reviewer", org)
    for org in bureaus + COMPANIES:
        _add_user(demo, org.key, f"{org.name}申报联系人", "applicant", org)


def _add_user(demo: Demo, username: str, display_name: str, role: str, org: Org) -> None:
    view = accounts.create_user(
        demo.store,
        demo.admin,
        username=username,
        display_name=display_name,
        role=role,
        password=demo.password,
        organisation_id=demo.org_ids[org.key],
        region=org.region,
    )
    demo.actors[username] = accounts.actor_of_view(view)
    demo.logins.append(Login(username, role, org.name))


def _advance(demo: Demo, round_id: int, state: str) -> rounds.RoundView:
    current = rounds.get_round(demo.store, demo.admin, round_id)
    return rounds.advance(demo.store, demo.admin, round_id, to_state=state, seen_version=current.version)


def _round(demo: Demo, plan: RoundPlan, index: int) -> Script:
    rng = np.random.default_rng([SEED, index])
    yield demo.day(plan.created, 9.5)
    settings = {
        **plan.settings,
        "application_deadline": demo.day(plan.application_deadline, 17),
        "review_deadline": demo.day(plan.review_deadline, 17),
    }
    created = rounds.create_round(demo.store, demo.admin, name=plan.name, rubric_id=plan.rubric_id, settings=settings)
    round_id = demo.round_ids[plan.key] = created.id
    if plan.opened is None:
        return
    yield demo.day(plan.opened, 9)
    _advance(demo, round_id, "open")
    rubric = rounds.round_rubric(demo.store, demo.admin, round_id)
    yield from _applications(demo, plan, round_id, rubric, rng)
    if plan.assigned is None:
        return
    yield demo.day(plan.assigned, 10)
    assignments.apply_assignment(demo.store, demo.admin, round_id, seed=SEED)
    yield demo.day(plan.review, 9)
    _advance(demo, round_id, "under_review")
    yield from _conflicts(demo, plan, round_id)
    yield from _sheets(demo, plan, round_id, rubric, rng)
    for state in ("closed", "published"):
        when = getattr(plan, state)
        if when is None:
            return
        yield demo.day(when, 15)
        _advance(demo, round_id, state)


def _application_fields(
    demo: Demo, plan: RoundPlan, proposal: Proposal, rubric: Rubric, rng: np.random.Generator
) -> tuple[dict, Merit]:
    org = demo.orgs[proposal.org]
    indicators = dict(proposal.indicators)
    for ind in rubric.indicators:
        if ind.id in indicators:
            continue
        if ind.id == "business_growth":
            indicators[ind.id] = round(float(rng.uniform(3, 45)), 1)
        elif ind.id == "users_served":
            indicators[ind.id] = round(float(np.exp(rng.uniform(np.log(0.8), np.log(900)))), 1)
        elif ind.type == "percent":
            indicators[ind.id] = round(float(rng.uniform(25, 90)), 1)
        elif ind.type == "bool":
            indicators[ind.id] = bool(rng.random() < 0.7)
        elif ind.type == "choice":
            indicators[ind.id] = ind.choices[int(rng.integers(len(ind.choices)))].value
        else:
            low, high = ind.min or 0.0, ind.max if ind.max is not None else 100.0
            indicators[ind.id] = round(float(rng.uniform(low, low + (high - low) * 0.1)), 1)
    declarations = {g.id: True for g in rubric.gates if g.check == "declared"} | {v.id: False for v in rubric.vetoes}
    if proposal.flips is not None:
        declarations[proposal.flips] = not declarations[proposal.flips]
    bonus = frozenset(c.id for c in rubric.criteria if c.id in rubric.bonus_ids and rng.random() < 0.45)
    bureau = next((b for b in CITY_BUREAUS if b[0] == proposal.org), None)
    extra: dict[str, object] = {"park": "", "speciality": ""}
    if bureau is not None:
        revenue = int(indicators["info_consumption_scale"] * rng.uniform(0.9, 1.8))
        extra = {"park": bureau[3], "speciality": bureau[4], "revenue": revenue}
    if "users_served" in indicators:  # the texts quote the reported indicators, not other numbers
        extra |= {"users": f"{indicators['users_served']:g}", "growth": f"{indicators['business_growth']:g}"}
    facts = _facts(rng, plan, proposal, org, extra)
    narratives, evidence = {}, {}
    for c in rubric.criteria:
        if c.id in rubric.bonus_ids and c.id not in bonus:
            continue
        narrative, shown = TEXTS.get(c.id, ("{title}在“" + c.label.zh + "”方面的做法和成效详见申报书。", "申报书附件"))
        if narrative and c.method == "judged":
            narratives[c.id] = narrative.format_map(facts)
        evidence[c.id] = shown.format_map(facts)
    drawn = 0.5 + 0.42 * float(rng.beta(2.2, 2.0))
    quality = drawn if proposal.quality is None else proposal.quality + float(rng.normal(0, 0.03))
    merit = Merit(quality, {c.id: float(rng.normal(0, 0.06)) for c in rubric.criteria}, bonus)
    fields = {
        "title": proposal.title,
        "indicators": indicators,
        "declarations": declarations,
        "narratives": narratives,
        "evidence": evidence,
    }
    if proposal.fate == "partial":  # an applicant who started and stopped half-way
        first = list(rubric.criteria)[:4]
        fields["indicators"] = dict(list(indicators.items())[:1])
        fields["declarations"] = dict(list(declarations.items())[:1])
        fields["narratives"] = {k: v for k, v in narratives.items() if k in {c.id for c in first}}
        fields["evidence"] = {k: v for k, v in evidence.items() if k in {c.id for c in first}}
    return fields, merit


def _applications(demo: Demo, plan: RoundPlan, round_id: int, rubric: Rubric, rng: np.random.Generator) -> Script:
    start, end = plan.applications
    days = rng.uniform(start, end, len(plan.proposals))
    moments = sorted(demo.day(int(np.floor(day)), 9 + float(rng.uniform(0, 7))) for day in days)
    for number, (proposal, when) in enumerate(zip(plan.proposals, moments, strict=True)):
        applicant = demo.actors[proposal.org]
        fields, merit = _application_fields(demo, plan, proposal, rubric, rng)
        yield when
        category = rubric.categories[0].id
        app = applications.create_application(demo.store, applicant, round_id, category=category, title=fields["title"])
        demo.merit[app.id] = merit
        yield when + dt.timedelta(minutes=25)
        app = applications.save_application(demo.store, applicant, app.id, seen_version=app.version, changes=fields)
        if number % 3 == 0:
            yield when + dt.timedelta(minutes=32)
            applications.add_attachment(
                demo.store,
                applicant,
                app.id,
                filename=f"{demo.orgs[proposal.org].name}{CERTIFICATES[demo.orgs[proposal.org].kind]}(演示).pdf",
                data=_pdf(f"Demonstration attachment {app.reference} - fictional data"),
            )
        if proposal.fate in ("draft", "partial"):
            continue
        if rng.random() < 0.85:
            yield when + dt.timedelta(minutes=50)
            overclaim = 0.3 if rng.random() < 0.3 else 0.04  # some applicants over-claim
            points = {
                c.id: _on_grid(c, merit.fraction(c.id) + overclaim + float(rng.normal(0, 0.04)))
                for c in rubric.criteria
                if c.method == "judged" and (c.id not in rubric.bonus_ids or c.id in merit.claimed_bonus)
            }
            applications.save_self_assessment(demo.store, applicant, app.id, points=points, seen_version=0)
        yield when + dt.timedelta(minutes=70)
        app = applications.submit_application(demo.store, applicant, app.id, seen_version=app.version)
        if proposal.fate == "withdrawn":
            yield when + dt.timedelta(hours=3)
            applications.withdraw_application(demo.store, applicant, app.id, seen_version=app.version)


def _assigned(demo: Demo, round_id: int) -> list[tuple[int, int]]:
    """The round's current (application, reviewer) pairs that no declared conflict excludes."""
    table = assignments.assignment_table(demo.store, demo.admin, round_id)
    table = table[~table["conflicted"]]
    return [(int(a), int(r)) for a, r in zip(table["application_id"], table["reviewer_id"], strict=True)]


def _conflicts(demo: Demo, plan: RoundPlan, round_id: int) -> Script:
    """Reviewers declare their conflicts on what they were given, then the admin tops panels up again.

    A reviewer declares on the planned organisation's application when it was assigned to them,
    otherwise on their first assigned one (the reasons fit any applicant).
    """
    if not plan.conflicts:
        return
    org_of = {a.id: a.organisation_id for a in applications.list_applications(demo.store, demo.admin, round_id)}
    pairs = _assigned(demo, round_id)
    declared: set[int] = set()
    for hour, (username, org_key, reason) in enumerate(plan.conflicts, start=10):
        reviewer = demo.actors[username]
        given = [a for a, r in pairs if r == reviewer.user_id and a not in declared]
        wanted = [a for a in given if org_of[a] == demo.org_ids[org_key]]
        if not given:
            continue
        app_id = (wanted or given)[0]
        declared.add(app_id)
        yield demo.day(plan.review, hour)
        reviews.declare_conflict(demo.store, reviewer, app_id, reason=reason)
    yield demo.day(plan.review, 16)
    assignments.apply_assignment(demo.store, demo.admin, round_id, seed=SEED + 1)  # replacements


def _entries(
    rubric: Rubric, merit: Merit, reviewer: Reviewer, rng: np.random.Generator, *, partial: bool = False
) -> dict[str, dict]:
    judged = [
        c
        for c in rubric.criteria
        if c.method == "judged" and (c.id not in rubric.bonus_ids or c.id in merit.claimed_bonus)
    ]
    if partial:
        judged = judged[: len(judged) // 2]
    entries = {}
    for c in judged:
        points = _on_grid(c, merit.fraction(c.id) + reviewer.severity + float(rng.normal(0, 0.05)))
        share = float(points / c.max_points)
        variants = next(texts for floor, texts in COMMENTS if share >= floor)
        entries[c.id] = {
            "points": points,
            "comment": variants[int(rng.integers(len(variants)))].format(label=c.label.zh),
        }
    return entries


def _sheets(demo: Demo, plan: RoundPlan, round_id: int, rubric: Rubric, rng: np.random.Generator) -> Script:
    by_id = {demo.actors[r.username].user_id: r for r in REVIEWERS}
    pairs = sorted(_assigned(demo, round_id), key=lambda pair: (pair[1], pair[0]))
    left = {demo.actors[name].user_id: counts for name, counts in plan.unfinished.items()}
    work: list[tuple[float, int, int, str]] = []
    for reviewer_id in sorted({r for _, r in pairs}):
        own = [a for a, r in pairs if r == reviewer_id]
        drafts, untouched = left.get(reviewer_id, (0, 0))
        fates = ["submit"] * (len(own) - drafts - untouched) + ["draft"] * drafts + ["none"] * untouched
        days = np.sort(rng.uniform(*plan.sheets, len(own)))
        work += [(float(d), a, reviewer_id, f) for d, a, f in zip(days, own, fates, strict=True) if f != "none"]
    work.sort()
    reopened: tuple[int, int] | None = None
    for day, app_id, reviewer_id, fate in work:
        yield demo.day(int(np.floor(day)), 9 + (day % 1) * 9)
        reviewer = by_id[reviewer_id]
        entries = _entries(rubric, demo.merit[app_id], reviewer, rng, partial=fate == "draft")
        actor = demo.actors[reviewer.username]
        reviews.save_sheet(demo.store, actor, app_id, entries=entries, seen_version=0, submit=fate == "submit")
        if reopened is None and fate == "submit" and reviewer.severity < -0.1:
            reopened = (app_id, reviewer_id)  # the harsh reviewer's first sheet goes back for a check
    if plan.reopen is None or reopened is None:
        return
    app_id, reviewer_id = reopened
    yield demo.day(plan.reopen, 10)
    sheet = reviews.reopen_sheet(
        demo.store, demo.admin, app_id, reviewer_id, reason="评分与评语不一致,请专家核对后重新提交。"
    )
    yield demo.day(plan.reopen + 1, 15)
    corrected = {cid: {"points": e.points, "comment": e.comment} for cid, e in sheet.entries.items()}
    first = next(iter(corrected))
    criterion = rubric.criterion(first)
    corrected[first]["points"] = min(
        corrected[first]["points"] + (criterion.step or Decimal("0.5")), criterion.max_points
    )
    reviews.save_sheet(
        demo.store,
        demo.actors[by_id[reviewer_id].username],
        app_id,
        entries=corrected,
        seen_version=sheet.version,
        submit=True,
    )


def _pdf(text: str) -> bytes:
    """A one-page PDF saying `text` (ASCII), so attachments open in any viewer."""
    stream = f"BT /F1 14 Tf 60 780 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


# -- entry point ---------------------------------------------------------------------------------

ROLE_LABELS = {"admin": "管理员 admin", "reviewer": "评审专家 reviewer", "applicant": "申报单位 applicant"}


class DemoExists(Exception):
    """The store already has users, so the demonstration was not created."""


def build(store: Store, clock: ReplayClock, password: str) -> Demo:
    """Create the whole demonstration in `store`, whose clock must be `clock`.

    The administrator is created first with `bootstrap_admin`, which the store refuses once any
    user exists: then `DemoExists` is raised and nothing has changed.
    """
    demo = Demo(store, clock, password)
    clock.now = clock.day(-90, 9)
    try:
        view = accounts.bootstrap_admin(store, username="admin", display_name=ADMIN_OFFICE, password=password)
    except SubmissionError as exc:
        if any(p.code == "already_bootstrapped" for p in exc.problems):
            raise DemoExists() from None
        raise
    demo.admin = accounts.actor_of_view(view)
    demo.logins.append(Login("admin", "admin", ADMIN_OFFICE))
    plans = round_plans(clock.start.astimezone(BEIJING).year)
    replay(clock, [_accounts(demo)])
    replay(clock, [_round(demo, plan, index) for index, plan in enumerate(plans)])
    return demo


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell + " " * (w - _width(cell)) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _report(demo: Demo, seconds: float) -> None:
    print(f"演示数据已创建,用时 {seconds:.1f} 秒 / Demo data created in {seconds:.1f} s.\n")
    rows = [("评审轮次 Round", "状态 State", "申报 Applications")]
    for key in ("city", "life", "public_service", "industry", "new_product"):
        view = rounds.get_round(demo.store, demo.admin, demo.round_ids[key])
        count = len(applications.list_applications(demo.store, demo.admin, view.id))
        zh, en = STATE_LABELS[view.state]
        rows.append((view.name, f"{zh} {en}", str(count)))
    print(_table(rows))
    print(f"\n演示账号 / Demo logins (密码 / password: {demo.password})\n")
    rows = [("用户名 Username", "角色 Role", "单位 Organisation", "密码 Password")]
    rows += [(login.username, ROLE_LABELS[login.role], login.organisation, demo.password) for login in demo.logins]
    print(_table(rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m submissions.demo",
        description="Fill an empty store (APP_DATA_DIR / APP_DATABASE_URL) with demonstration data.",
    )
    parser.parse_args(argv)
    password = os.environ.get("APP_DEMO_PASSWORD") or DEFAULT_PASSWORD
    clock = ReplayClock(dt.datetime.now(dt.UTC).replace(microsecond=0))
    store = Store.open(clock=clock)
    started = time.perf_counter()
    try:
        demo = build(store, clock, password)
        clock.now = clock.start
        _report(demo, time.perf_counter() - started)
        return 0
    except DemoExists:
        print("演示数据已存在(数据库中已有用户),未做任何修改。")
        print("Demo data exists (the store has users); nothing was changed.")
        return 0
    except (SubmissionError, OperationError) as exc:
        problems = getattr(exc, "problems", None)
        lines = [f"{p.message('zh')} / {p.message('en')}" for p in problems] if problems else [str(exc)]
        print("演示数据未能创建 / The demo could not be created:", *lines, sep="\n  ", file=sys.stderr)
        return 1
    finally:
        store.close()


if __name__ == "__main__":
    raise SystemExit(main())
