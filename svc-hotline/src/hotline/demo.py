"""Demo data for ``make run`` (and the reference data tests start from): categories of matters, dispatch
rules for Nanning's departments (and the province's fallbacks), and published knowledge entries.
Idempotent."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from gov_common.settings import ServiceSettings
from gov_standards.china_time import utcnow
from hotline.knowledge.service import index_words, word_column
from hotline.models import Category, DispatchRule, KnowledgeEntry

NANNING = "450100"
GUANGXI = "450000"

# code -> name (南宁市 departments; credit-code-shaped ids as identity's demo departments use).
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "11450100MBQH0Y21QM": ("南宁市市场监督管理局", NANNING),
    "11450100MB0H1S2E3X": ("南宁市人力资源和社会保障局", NANNING),
    "12450100MB0G4J5J6X": ("南宁住房公积金管理中心", NANNING),
    "11450100MB0C1G2L3X": ("南宁市城市管理综合行政执法局", NANNING),
    "91450100MB0W1A2T3X": ("南宁建宁水务投资集团有限责任公司", NANNING),
    "11450100MB0Z3J4S5X": ("南宁市住房和城乡建设局", NANNING),
    "11450100MB0T6R7P8X": ("南宁市交通运输局", NANNING),
    "11450100MB0G0V1B2X": ("南宁市人民政府办公室", NANNING),
    "11450000MB0H9S8T7X": ("广西壮族自治区人力资源和社会保障厅", GUANGXI),
}

CATEGORIES: dict[str, str] = {
    "noise": "噪声扰民",
    "water_supply": "供水",
    "social_insurance": "社会保险",
    "housing_fund": "住房公积金",
    "municipal": "市政设施（路灯、井盖、道路）",
    "property": "物业管理",
    "food_safety": "食品安全",
    "public_transport": "公共交通",
    "other": "其他",
}

# (category, region) -> department
RULES: dict[tuple[str, str], str] = {
    ("noise", NANNING): "11450100MB0C1G2L3X",
    ("water_supply", NANNING): "91450100MB0W1A2T3X",
    ("social_insurance", NANNING): "11450100MB0H1S2E3X",
    ("social_insurance", GUANGXI): "11450000MB0H9S8T7X",
    ("housing_fund", NANNING): "12450100MB0G4J5J6X",
    ("municipal", NANNING): "11450100MB0C1G2L3X",
    ("property", NANNING): "11450100MB0Z3J4S5X",
    ("food_safety", NANNING): "11450100MBQH0Y21QM",
    ("public_transport", NANNING): "11450100MB0T6R7P8X",
    ("other", NANNING): "11450100MB0G0V1B2X",
}

# (title, category, keywords, body, owner)
ENTRIES: list[tuple[str, str, list[str], str, str]] = [
    ("租房如何提取住房公积金", "housing_fund", ["公积金", "租房提取"],
     "职工连续足额缴存住房公积金满3个月、本人及配偶在缴存地无自有住房且租房居住的，可申请租房提取。"
     "可通过南宁住房公积金网上服务大厅、“南宁公积金”微信公众号或到管理中心窗口办理，每年可提取一次。",
     "12450100MB0G4J5J6X"),
    ("住房公积金贷款最高额度是多少", "housing_fund", ["公积金贷款", "额度"],
     "南宁住房公积金个人住房贷款最高额度：单方缴存职工50万元，双方缴存职工70万元；实际额度还与账户余额、"
     "缴存时间、还款能力有关。", "12450100MB0G4J5J6X"),
    ("异地转移住房公积金怎么办理", "housing_fund", ["公积金", "异地转移"],
     "职工在转入地开立个人账户并缴存后，可通过全国住房公积金小程序或转入地管理中心申请异地转移接续，"
     "无需回原缴存地办理。", "12450100MB0G4J5J6X"),
    ("社保卡丢失如何补办", "social_insurance", ["社保卡", "补办", "挂失"],
     "社保卡丢失后先通过电话96333、广西人社APP或银行网点办理临时挂失，再携带身份证到社保卡服务网点或"
     "合作银行网点申请补卡，即时制卡网点可当场领卡。", "11450100MB0H1S2E3X"),
    ("灵活就业人员如何缴纳养老保险", "social_insurance", ["灵活就业", "养老保险", "缴费"],
     "具有南宁市户籍或在南宁居住的灵活就业人员，可持身份证到户籍所在地或居住地社保经办机构办理参保登记，"
     "通过“桂税通”、银行代扣或微信缴纳养老保险费，缴费基数在全区社平工资60%至300%之间自选。",
     "11450100MB0H1S2E3X"),
    ("养老保险关系跨省转移接续", "social_insurance", ["养老保险", "转移接续", "跨省"],
     "参保人员跨省流动就业的，在新就业地参保后，向新参保地社保经办机构或通过国家社会保险公共服务平台"
     "提出转移接续申请，原参保地在15个工作日内转出。", "11450100MB0H1S2E3X"),
    ("停水信息在哪里查询", "water_supply", ["停水", "供水", "计划停水"],
     "计划停水信息提前24小时通过南宁建宁水务官网、微信公众号和小区公告发布；突发停水可拨打供水服务热线"
     "查询抢修进度和预计恢复供水时间。", "91450100MB0W1A2T3X"),
    ("家里水压低、水发黄怎么办", "water_supply", ["水压", "水质", "自来水"],
     "先确认是否只有自家出现问题：仅自家的多为户内管道原因，可联系物业检修；整栋或整片的，由供水企业"
     "派员检测管网和水质，一般24小时内处理。", "91450100MB0W1A2T3X"),
    ("夜间施工噪音扰民怎么处理", "noise", ["噪音", "夜间施工", "扰民"],
     "城区内22时至次日6时禁止产生环境噪声污染的建筑施工作业，因抢修、抢险或生产工艺要求必须连续作业的"
     "须取得证明并公告附近居民。发现夜间违规施工，城管执法部门将依法查处。", "11450100MB0C1G2L3X"),
    ("商铺、广场舞噪音扰民如何投诉", "noise", ["噪音", "广场舞", "商铺", "扰民"],
     "商业经营活动中使用高音广播喇叭或其他方法招揽顾客造成噪声的，由城管执法部门处理；广场舞等公共场所"
     "活动噪声，由所在街道和公安机关劝导并依法处理。", "11450100MB0C1G2L3X"),
    ("路灯不亮、井盖缺失如何报修", "municipal", ["路灯", "井盖", "报修"],
     "市政路灯、井盖等设施损坏可拨打12345或通过“爱南宁”APP报修，注明具体位置；井盖缺失等危险情况"
     "按紧急件处理，市政养护单位24小时内到场。", "11450100MB0C1G2L3X"),
    ("物业服务收费标准有异议怎么办", "property", ["物业费", "物业管理"],
     "住宅前期物业服务收费实行政府指导价，业主对收费有异议的，可向街道、住建部门反映，也可通过业主大会"
     "依法选聘或解聘物业服务企业。", "11450100MB0Z3J4S5X"),
    ("电梯故障困人怎么办", "property", ["电梯", "困人"],
     "电梯困人时请保持冷静，按下电梯内警铃或拨打电梯内张贴的救援电话，物业和维保单位应在30分钟内到达；"
     "发生危险请拨打119。", "11450100MB0Z3J4S5X"),
    ("开办餐饮店需要办理哪些许可", "food_safety", ["餐饮", "食品经营许可"],
     "开办餐饮店须先取得营业执照，再申请食品经营许可，可在广西数字政务一体化平台网上申请，材料齐全的"
     "3个工作日内办结。", "11450100MBQH0Y21QM"),
]  # fmt: skip


async def seed(session: AsyncSession, settings: ServiceSettings) -> list[str]:
    for code, name in CATEGORIES.items():
        if await session.get(Category, code) is None:
            session.add(Category(code=code, name=name, parent=None))
    for (category, region), department in RULES.items():
        exists = await session.scalar(
            sa.select(DispatchRule.id).where(DispatchRule.category == category, DispatchRule.region == region)
        )
        if exists is None:
            name, department_region = DEPARTMENTS[department]
            session.add(
                DispatchRule(
                    id=uuid.uuid4(), category=category, region=region, department=department,
                    department_name=name, department_region=department_region,
                )
            )  # fmt: skip
    now = utcnow()
    for title, category, keywords, body, owner in ENTRIES:
        if await session.scalar(sa.select(KnowledgeEntry.id).where(KnowledgeEntry.title == title)) is None:
            session.add(
                KnowledgeEntry(
                    id=uuid.uuid4(), title=title, body=body, category=category, keywords=keywords,
                    tokens=word_column(index_words(title, keywords, body)), region=DEPARTMENTS[owner][1],
                    owner_department=owner, status="published", valid_from=date(2026, 1, 1), valid_until=None,
                    reviewed_by="demo", reviewed_at=now, usage_count=0, created_by="demo", created_at=now, updated_at=now,
                )
            )  # fmt: skip
    await session.flush()
    return [
        f"hotline: {len(CATEGORIES)} categories, {len(RULES)} dispatch rules for Nanning departments, "
        f"{len(ENTRIES)} knowledge entries; GET /api/hotline/v1/knowledge?q=公积金 is public, "
        "operators (role hotline_operator) record calls with POST /api/hotline/v1/orders",
    ]
