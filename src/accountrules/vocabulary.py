"""The contract's vocabulary (SPEC §2): every enum value with its Chinese and English label.

The values are the identifiers that appear in case files, rule packs and determinations; the labels are what
people read, Chinese first.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["principal_leader", "leader_in_charge", "team_member", "discipline_inspection", "staff"]
Area = Literal[
    "poverty_alleviation",
    "agricultural_subsidies",
    "land_requisition",
    "housing",
    "education",
    "healthcare",
    "work_safety",
    "environment",
    "construction",
    "law_enforcement",
    "cadre_selection",
    "finance",
    "administrative_approval",
    "other",
]
ViolationKind = Literal[
    "corruption", "four_winds", "harming_public_interest", "cadre_selection", "dereliction", "other_discipline"
]
Severity = Literal["minor", "ordinary", "serious", "grave"]
UnitLevel = Literal["province", "city", "county", "township", "village", "enterprise", "institution"]
Act = Literal[
    "discovered_proactively",
    "investigated_resolutely",
    "supported_investigation",
    "reported",
    "remedied",
    "confessed",
    "exposed_others",
    "returned_gains",
    "pilot_error",
    "force_majeure",
    "failed_to_implement",
    "failed_to_stop",
    "dereliction",
    "not_investigated",
    "concealed",
    "shielded",
    "obstructed",
    "defied_orders",
    "obstructed_inquiry",
    "coerced_others",
    "refused_restitution",
    "reoffended",
]
Responsibility = Literal[
    "direct",
    "principal_leadership",
    "important_leadership",
    "supervisory",
    "overall_leadership",
    "none",
    "undetermined",
]
Scope = Literal["individual", "collective"]
Measure = Literal[
    "none",
    "reminder",
    "criticism",
    "self_examination",
    "public_criticism",
    "admonishment",
    "warning",
    "serious_warning",
    "post_adjustment",
    "removal_from_party_post",
    "probation",
    "major_post_adjustment",
    "expulsion",
    "case_transfer",
]
OrgMeasure = Literal["inspection", "public_notice", "reorganization"]
ModifierKind = Literal["lighter", "reduced", "heavier", "increased", "top_of_range", "exempt"]
RefusalKind = Literal["first_offence", "minor_error", "many_participants", "personally_clean", "outweighed"]
#: Government sanctions (政务处分) of public officials, lightest first (SPEC §9.2).
GovernmentSanction = Literal[
    "gov_warning", "gov_demerit", "gov_major_demerit", "gov_demotion", "gov_removal", "gov_dismissal"
]
ViolationFlag = Literal[
    "lifesaving_funds", "suspected_crime", "long_term_spread", "first_offence", "minor_error", "many_participants"
]

#: SPEC §2's groups of acts, in the order `Act` lists them: ten favourable acts, seven failures, five
#: aggravating acts. D11's monotonicity speaks of these three groups.
FAVOURABLE_ACTS: tuple[Act, ...] = get_args(Act)[:10]
FAILURE_ACTS: tuple[Act, ...] = get_args(Act)[10:17]
AGGRAVATING_ACTS: tuple[Act, ...] = get_args(Act)[17:]

#: The ten public-interest areas named in speech:P12: the first ten areas of SPEC §2.
PUBLIC_INTEREST_AREAS: tuple[Area, ...] = get_args(Area)[:10]

#: Acts an offender may record about their own violation (SPEC §3).
OFFENDER_ACTS: tuple[Act, ...] = (
    "confessed",
    "remedied",
    "exposed_others",
    "returned_gains",
    "defied_orders",
    "obstructed_inquiry",
    "coerced_others",
    "refused_restitution",
    "reoffended",
)

#: Violation kinds whose offenders may also record ``pilot_error`` (容错, SPEC §9.3 V6): failures of duty,
#: not taking.
PILOT_ERROR_KINDS: tuple[ViolationKind, ...] = ("dereliction", "other_discipline")

#: The measures of each form, lightest first (SPEC §2). Form 0 has the single measure ``none``.
FORM_MEASURES: dict[int, tuple[Measure, ...]] = {
    0: ("none",),
    1: ("reminder", "criticism", "self_examination", "public_criticism", "admonishment"),
    2: ("warning", "serious_warning", "post_adjustment"),
    3: ("removal_from_party_post", "probation", "major_post_adjustment", "expulsion"),
    4: ("case_transfer",),
}

FORM_LABELS: dict[int, tuple[str, str]] = {
    0: ("不予问责", "no accountability"),
    1: ("第一种形态", "first form"),
    2: ("第二种形态", "second form"),
    3: ("第三种形态", "third form"),
    4: ("第四种形态", "fourth form"),
}

LABELS: dict[str, tuple[str, str]] = {
    # roles
    "principal_leader": ("主要负责人（第一责任人）", "principal leader"),
    "leader_in_charge": ("分管领导", "leader in charge"),
    "team_member": ("其他班子成员", "team member"),
    "discipline_inspection": ("纪检监察负责人", "discipline-inspection head"),
    "staff": ("一般干部", "staff"),
    # areas
    "poverty_alleviation": ("脱贫攻坚", "poverty alleviation"),
    "agricultural_subsidies": ("惠农补贴", "agricultural subsidies"),
    "land_requisition": ("征地拆迁", "land requisition"),
    "housing": ("住房保障", "housing"),
    "education": ("教育", "education"),
    "healthcare": ("医疗", "healthcare"),
    "work_safety": ("安全生产", "work safety"),
    "environment": ("生态环境", "environment"),
    "construction": ("工程建设", "construction"),
    "law_enforcement": ("涉法涉诉", "law enforcement"),
    "cadre_selection": ("选人用人", "cadre selection"),
    "finance": ("财务管理", "finance"),
    "administrative_approval": ("行政审批", "administrative approval"),
    "other": ("其他", "other"),
    # violation kinds (cadre_selection shares its id with the area above)
    "corruption": ("贪污贿赂等腐败", "corruption"),
    "four_winds": ("四风", "four winds"),
    "harming_public_interest": ("侵害群众利益", "harming the public interest"),
    "other_discipline": ("其他违纪", "other breach of discipline"),
    # unit levels
    "province": ("省级", "province"),
    "city": ("市级", "city"),
    "county": ("县级", "county"),
    "township": ("乡镇", "township"),
    "village": ("村（社区）", "village"),
    "enterprise": ("企业", "enterprise"),
    "institution": ("事业单位", "public institution"),
    # severity
    "minor": ("轻微", "minor"),
    "ordinary": ("一般", "ordinary"),
    "serious": ("严重", "serious"),
    "grave": ("特别严重", "grave"),
    # acts
    "discovered_proactively": ("主动发现", "discovered proactively"),
    "investigated_resolutely": ("坚决查处", "investigated resolutely"),
    "supported_investigation": ("积极支持配合查处", "supported the investigation"),
    "reported": ("及时报告", "reported"),
    "remedied": ("主动挽回损失、消除影响", "remedied"),
    "confessed": ("主动交代", "confessed"),
    "exposed_others": ("检举他人、立功", "exposed others"),
    "returned_gains": ("主动上交违纪所得", "returned gains"),
    "pilot_error": ("先行先试的失误（容错）", "pilot-reform error"),
    "force_majeure": ("不可抗力", "force majeure"),
    "failed_to_implement": ("责任不落实、工作不力", "failed to implement"),
    "failed_to_stop": ("不制止、不解决", "failed to stop"),
    "dereliction": ("失职渎职", "dereliction"),
    "not_investigated": ("有案不查、压案不办", "left a case uninvestigated"),
    "concealed": ("瞒案不报、掩盖问题", "concealed"),
    "shielded": ("袒护、包庇", "shielded"),
    "obstructed": ("干扰、阻挠查处", "obstructed the investigation"),
    "defied_orders": ("对三令五申的要求不执行", "defied repeated orders"),
    "obstructed_inquiry": ("在问责调查中不如实报告", "obstructed the inquiry"),
    "coerced_others": ("强迫、唆使他人违纪", "coerced others"),
    "refused_restitution": ("拒不上交或退赔违纪所得", "refused restitution"),
    "reoffended": ("受处分后又故意违纪", "reoffended"),
    # responsibility
    "direct": ("直接责任", "direct"),
    "principal_leadership": ("主要领导责任", "principal leadership"),
    "important_leadership": ("重要领导责任", "important leadership"),
    "supervisory": ("监督责任", "supervisory"),
    "overall_leadership": ("全面领导责任", "overall leadership"),
    "none": ("不负责任", "none"),
    "undetermined": ("待查明", "undetermined"),
    # scope
    "individual": ("个人责任", "individual"),
    "collective": ("集体责任", "collective"),
    # measures
    "reminder": ("谈话提醒", "reminder"),
    "criticism": ("批评教育", "criticism"),
    "self_examination": ("责令检查", "self-examination"),
    "public_criticism": ("通报批评", "public criticism"),
    "admonishment": ("诫勉", "admonishment"),
    "warning": ("警告", "warning"),
    "serious_warning": ("严重警告", "serious warning"),
    "post_adjustment": ("组织调整", "post adjustment"),
    "removal_from_party_post": ("撤销党内职务", "removal from party post"),
    "probation": ("留党察看", "probation"),
    "major_post_adjustment": ("重大职务调整", "major post adjustment"),
    "expulsion": ("开除党籍", "expulsion"),
    "case_transfer": ("立案审查、移送司法", "case transfer"),
    "inspection": ("检查", "inspection"),
    "public_notice": ("通报", "public notice"),
    "reorganization": ("改组", "reorganization"),
    # modifiers
    "lighter": ("从轻", "lighter"),
    "reduced": ("减轻", "reduced"),
    "heavier": ("从重", "heavier"),
    "increased": ("加重", "increased"),
    "top_of_range": ("顶格", "top of range"),
    "exempt": ("免予问责", "exempt"),
    # refusals
    "first_offence": ("初犯", "first offence"),
    "minor_error": ("微错", "minor error"),
    "many_participants": ("法不责众", "many participants"),
    "personally_clean": ("本人廉洁", "personally clean"),
    "outweighed": ("被从重情节抵消", "outweighed"),
    # government sanctions (政务处分)
    "gov_warning": ("警告（政务处分）", "warning (government sanction)"),
    "gov_demerit": ("记过", "demerit"),
    "gov_major_demerit": ("记大过", "major demerit"),
    "gov_demotion": ("降级", "demotion"),
    "gov_removal": ("撤职", "removal from office"),
    "gov_dismissal": ("开除（公职）", "dismissal from public office"),
    # flags
    "lifesaving_funds": ("群众救命钱", "life-saving funds"),
    "suspected_crime": ("涉嫌违法犯罪", "suspected crime"),
    "long_term_spread": ("不正之风长期滋长蔓延", "long-term spread"),
}


def values(literal: object) -> tuple[str, ...]:
    """The values of a ``Literal`` type, in declaration order."""
    return tuple(str(v) for v in get_args(literal))


def label(value: str) -> str:
    """``中文 English`` for a vocabulary value; the value itself when it has no label."""
    zh, en = LABELS.get(value, (value, value))
    return f"{zh} {en}"


def measure_label(measure: str) -> str:
    """A measure's label: the measure ``none`` reads 不予问责, not the responsibility 不负责任."""
    return "不予问责 no accountability" if measure == "none" else label(measure)


def label_zh(value: str) -> str:
    return LABELS.get(value, (value, value))[0]


def form_label(form: int | None) -> str:
    if form is None:
        return "待查明 undetermined"
    zh, en = FORM_LABELS[form]
    return f"{zh} {en}"


#: Every enumeration of the contract, titled bilingually, in the order the reference documentation lists them.
ENUMERATIONS: tuple[tuple[str, object], ...] = (
    ("角色 Roles (`people[].roles`)", Role),
    ("领域 Areas (`violations[].area`, `people[].oversees`)", Area),
    ("违纪类型 Violation kinds (`violations[].kind`)", ViolationKind),
    ("情节 Severities (`violations[].severity`)", Severity),
    ("单位层级 Unit levels (`unit.level`)", UnitLevel),
    ("违纪标记 Violation flags", ViolationFlag),
    ("行为 Acts (`conduct[].acts`)", Act),
    ("责任 Responsibilities", Responsibility),
    ("范围 Scopes", Scope),
    ("措施 Measures", Measure),
    ("政务处分 Government sanctions", GovernmentSanction),
    ("组织处理 Measures for the organisation", OrgMeasure),
    ("情节适用 Modifiers", ModifierKind),
    ("不予采纳 Refused mitigations", RefusalKind),
)
