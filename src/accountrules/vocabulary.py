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
NoteCode = Literal[
    "amount_over_threshold",
    "before_earliest_version",
    "force_majeure_with_failure",
    "no_decided_on",
    "no_party_measure",
]
#: Why a violation is judged by its conduct version (SPEC §9.2 ``rules_in_force``).
InForceReason = Literal["conduct_date", "continuing", "no_date"]
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
#: Each measure's place: its form, then its place in that form's order (every measure belongs to one form).
MEASURE_PLACES: dict[str, tuple[int, int]] = {
    measure: (form, rank) for form, measures in FORM_MEASURES.items() for rank, measure in enumerate(measures)
}

#: The fixed bilingual message of each note (SPEC §9.2), Chinese first.
NOTE_MESSAGES: dict[str, str] = {
    "amount_over_threshold": (
        "涉案金额达到追究刑事责任的数额标准，请核查是否涉嫌犯罪。 "
        "The amount reaches the threshold for criminal liability; check whether a crime is suspected."
    ),
    "before_earliest_version": (
        "日期早于本规则包最早的版本，按最早的版本判断。 "
        "The date is before the pack's earliest version; the earliest version was applied."
    ),
    "force_majeure_with_failure": (
        "记录了不可抗力，但同时存在失责情形，不予免责。 "
        "Force majeure is recorded beside a failure of duty, so it does not exempt."
    ),
    "no_decided_on": (
        "案件未写明决定日期，按最新版本作为决定时的规定。 "
        "The case gives no decision date; the newest version was taken as the one in force at decision."
    ),
    "no_party_measure": (
        "非党员不能给予党纪处分，已从措施中去除。 "
        "A person who is not a Party member cannot receive a party sanction; it was removed from the measures."
    ),
}

FORM_LABELS: dict[int, tuple[str, str]] = {
    0: ("不予问责", "not held accountable"),
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
    "law_enforcement": ("涉法涉诉", "law- and litigation-related matters"),
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
    "minor": ("情节轻微", "minor"),
    "ordinary": ("一般", "ordinary"),
    "serious": ("较重", "fairly serious"),
    "grave": ("严重", "grave"),
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
    "direct": ("直接责任", "direct responsibility"),
    "principal_leadership": ("主要领导责任", "principal leadership responsibility"),
    "important_leadership": ("重要领导责任", "important leadership responsibility"),
    "supervisory": ("监督责任", "supervisory responsibility"),
    "overall_leadership": ("全面领导责任", "overall leadership responsibility"),
    "none": ("不承担责任", "no responsibility"),
    "undetermined": ("待查明", "undetermined"),
    # scope
    "individual": ("个人责任", "individual"),
    "collective": ("集体责任", "collective"),
    # measures
    "reminder": ("谈话提醒", "reminder talk"),
    "criticism": ("批评教育", "criticism and education"),
    "self_examination": ("责令检查", "ordered to make a written self-examination"),
    "public_criticism": ("通报批评", "circulated criticism"),
    "admonishment": ("诫勉", "admonishment"),
    "warning": ("警告", "warning"),
    "serious_warning": ("严重警告", "serious warning"),
    "post_adjustment": ("组织调整", "organisational adjustment"),
    "removal_from_party_post": ("撤销党内职务", "removal from party post"),
    "probation": ("留党察看", "probation within the Party"),
    "major_post_adjustment": ("重大职务调整", "major post adjustment"),
    "expulsion": ("开除党籍", "expulsion from the Party"),
    "case_transfer": ("立案审查、移送司法", "case opened and transferred for prosecution"),
    "inspection": ("检查", "written self-examination"),
    "public_notice": ("通报", "circulated notice"),
    "reorganization": ("改组", "reorganization"),
    # modifiers
    "lighter": ("从轻", "lighter"),
    "reduced": ("减轻", "reduced"),
    "heavier": ("从重", "heavier"),
    "increased": ("加重", "increased"),
    "top_of_range": ("顶格", "top of range"),
    "exempt": ("免予问责", "exempted"),
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
    # why a violation is judged by the version it is
    "conduct_date": ("行为时", "conduct date"),
    "continuing": ("行为跨越新旧规定", "continuing conduct"),
    "no_date": ("无行为日期", "no date"),
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


#: Modifiers after which form 0 reads 免予问责 (exempted) rather than 不予问责 (not held accountable) (SPEC §9.3 V12).
EXEMPTING_MODIFIERS = frozenset({"exempt", "reduced"})


def measure_label(measure: str, deciding: str | None = None) -> str:
    """A measure's label. The measure ``none`` reads 免予问责 when ``deciding`` (the modifier that decided the
    form) exempted or reduced the person to it, and 不予问责 otherwise; never the responsibility's words."""
    if measure != "none":
        return label(measure)
    return "免予问责 exempted" if deciding in EXEMPTING_MODIFIERS else "不予问责 not held accountable"


def label_zh(value: str) -> str:
    return LABELS.get(value, (value, value))[0]


def form_label(form: int | None, deciding: str | None = None) -> str:
    """A form's label; form 0 reads as `measure_label` words it for the deciding modifier."""
    if form is None:
        return "待查明 undetermined"
    if form == 0:
        return measure_label("none", deciding)
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

#: What each value means in practice, per enumeration (one id may belong to two: ``dereliction`` is an act and a
#: violation kind), for the reference documentation. The labels stay in `LABELS`.
MEANINGS: dict[object, dict[str, str]] = {
    Role: {
        "principal_leader": "The unit's first responsible person (party secretary, or the head where there is none): "
        "looked back on for every violation of the unit.",
        "leader_in_charge": "A team member directly in charge of some areas of work (`oversees`): looked back on for "
        "the violations in those areas.",
        "team_member": "A member of the leadership team not in charge of the violation's area: looked back on only "
        "where they have conduct on it or took part in a decision behind it.",
        "discipline_inspection": "The head of discipline inspection and supervision in the unit: bears the "
        "supervisory responsibility, looked back on for every violation of the unit.",
        "staff": "A cadre without a leadership post: answers for their own conduct only.",
    },
    Area: {
        "poverty_alleviation": "Poverty-relief funds, projects and assistance.",
        "agricultural_subsidies": "Subsidies and payments to farmers and rural households.",
        "land_requisition": "Taking land and demolishing homes, and the compensation paid for them.",
        "housing": "Affordable and social housing: allocation, subsidies and building.",
        "education": "Schools, enrolment, student aid and education funds.",
        "healthcare": "Hospitals, medical insurance and medical aid.",
        "work_safety": "Safety at work and the supervision of it, accidents included.",
        "environment": "Environmental protection and its enforcement.",
        "construction": "Public works and building projects: tenders, contracts and quality.",
        "law_enforcement": "Policing, justice, complaints and litigation: where people meet the law.",
        "cadre_selection": "Appointing, promoting and assessing cadres.",
        "finance": "The unit's own money: budgets, accounts, spending.",
        "administrative_approval": "Licences, permits and other approvals the unit grants.",
        "other": "Any other area of work.",
    },
    ViolationKind: {
        "corruption": "Embezzlement, bribery and other use of office for private gain.",
        "four_winds": "Formalism, bureaucratism, hedonism and extravagance: banquets, gifts, allowances, cars, "
        "offices.",
        "harming_public_interest": "Petty corruption and misconduct that hurts people directly: skimming subsidies, "
        "demanding bribes, charging fees without right.",
        "cadre_selection": "Breaking the rules on cadres: canvassing or buying posts, promoting someone unfit or "
        "under investigation.",
        "dereliction": "Neglecting or misusing a duty so that harm follows; the violation is the failure itself.",
        "other_discipline": "Any other breach of party discipline.",
    },
    Severity: {
        "minor": "The lightest grade of circumstances: the offender's range is the lowest.",
        "ordinary": "Ordinary circumstances.",
        "serious": "Serious circumstances: the offender's range reaches the third form.",
        "grave": "The gravest circumstances; a suspected crime counts as grave.",
    },
    UnitLevel: {
        "province": "A provincial body.",
        "city": "A body of a city (prefecture level).",
        "county": "A body of a county or district.",
        "township": "A township or town government, or a street office.",
        "village": "A village or residents' committee and its party branch.",
        "enterprise": "A state-owned enterprise.",
        "institution": "A public institution: a school, a hospital, a research institute.",
    },
    ViolationFlag: {
        "lifesaving_funds": "The money involved was people's life-saving funds (subsistence allowances, relief, "
        "medical aid): the offender's form goes to the top of the range.",
        "suspected_crime": "The conduct is suspected of being a crime: the offender's case goes to the fourth form.",
        "long_term_spread": "The problem grew and spread in the unit over a long time: leaders' ranges rise.",
        "first_offence": "The offender's first violation: recorded, and refused as a reason for leniency.",
        "minor_error": "A small error: recorded, and refused as a reason to let it pass.",
        "many_participants": "Many people took part: recorded, and refused as a shield for any of them.",
    },
    Act: {
        "discovered_proactively": "Found the problem on their own initiative.",
        "investigated_resolutely": "Pursued the problem firmly once it was known.",
        "supported_investigation": "Backed and helped those who investigated it.",
        "reported": "Reported the problem in time to those who should know.",
        "remedied": "Recovered the losses or undid the harm on their own initiative.",
        "confessed": "The offender owned up to their own violation on their own initiative.",
        "exposed_others": "The offender exposed others' violations or rendered other meritorious service.",
        "returned_gains": "The offender handed back the illicit gains on their own initiative.",
        "pilot_error": "An honest mistake made while trying something new in reform or development, without "
        "private gain (容错): it may exempt a leader, and the offender of a failure of duty.",
        "force_majeure": "The duty was done, and the loss came from force majeure.",
        "failed_to_implement": "Left their duty undone (deploying, checking, supervising their remit), so that the "
        "violation could happen: the everyday failure of leadership.",
        "failed_to_stop": "Knew of the problem, or was told of it, and did not stop or resolve it: heavier than "
        "failing to implement.",
        "dereliction": "Neglected or misused their own duty in the matter itself.",
        "not_investigated": "A report or a lead reached them, whose task was to pursue it, and they sat on it.",
        "concealed": "Knew of the violation and hid it from those who should know.",
        "shielded": "Protected the offender.",
        "obstructed": "Interfered with or blocked the investigation, or resisted the organisation's review.",
        "defied_orders": "Went on against repeated explicit orders (三令五申).",
        "obstructed_inquiry": "Did not tell the accountability inquiry the truth, or shifted the blame.",
        "coerced_others": "Forced or incited others to break discipline.",
        "refused_restitution": "Refused to hand back or repay illicit gains.",
        "reoffended": "Broke discipline again, on purpose, after a sanction.",
    },
    Responsibility: {
        "direct": "The person's own conduct caused the violation or hid it: the offender, or whoever concealed, "
        "shielded or obstructed.",
        "principal_leadership": "Leadership responsibility of those directly in charge: the principal leader, or "
        "the leader in charge of the violation's area.",
        "important_leadership": "Leadership responsibility of those who took part without being in charge; its "
        "range is held at its lowest form.",
        "supervisory": "The discipline-inspection head's responsibility for supervising.",
        "overall_leadership": "The leadership team's responsibility as an organisation.",
        "none": "Not accountable for this case: linked to it, with conduct that holds no failure.",
        "undetermined": "Should have been looked back on, but the case records nothing the person did: find out "
        "before deciding.",
    },
    Scope: {
        "individual": "Borne by the person alone.",
        "collective": "Borne as a participant in a collective decision (an objector bears none).",
    },
    Measure: {
        "none": "Nothing is recommended for the person.",
        "reminder": "A talk in which the person is told of the problem and reminded to correct it.",
        "criticism": "Criticism and education, face to face or in a meeting.",
        "self_examination": "The person is ordered to examine the problem in writing.",
        "public_criticism": "Criticism circulated in writing within the organisation.",
        "admonishment": "A formal admonishment, placed on the person's record; it holds back promotion for a time.",
        "warning": "The lightest party sanction; it holds back promotion in the party for a time.",
        "serious_warning": "A party sanction heavier than a warning, with a longer bar on promotion.",
        "post_adjustment": "An organisational measure on the person's post: suspension for examination, a change "
        "of duties, being told to resign, demotion or removal from the post.",
        "removal_from_party_post": "The person loses every party post they hold (only someone with a party post can "
        "receive it).",
        "probation": "The member stays in the Party on probation for one or two years, without the rights to vote, "
        "elect or stand for election.",
        "major_post_adjustment": "A heavy organisational measure: removal from a leading post or demotion of rank.",
        "expulsion": "The heaviest party sanction: the person is no longer a member.",
        "case_transfer": "The case is placed on file for review and, as a crime is suspected, passed to the "
        "judicial organs.",
    },
    GovernmentSanction: {
        "gov_warning": "The lightest sanction of a public official (政务处分).",
        "gov_demerit": "A demerit recorded against the official.",
        "gov_major_demerit": "A major demerit recorded against the official.",
        "gov_demotion": "The official's grade is lowered.",
        "gov_removal": "The official is removed from their office.",
        "gov_dismissal": "The official is dismissed from public employment.",
    },
    OrgMeasure: {
        "inspection": "The leadership team examines its failure in writing.",
        "public_notice": "The team's failure is circulated in a notice.",
        "reorganization": "The leadership team is dissolved and formed anew.",
    },
    ModifierKind: {
        "lighter": "Mitigating circumstances: the lowest form of the range.",
        "reduced": "Strongly mitigating circumstances: one form below the range (for a leader at the first form, "
        "exemption).",
        "heavier": "Aggravating circumstances: the highest form of the range.",
        "increased": "Strongly aggravating circumstances: one form above the range (at most the third).",
        "top_of_range": "顶格: the highest form of the range and its heaviest measure.",
        "exempt": "Not held accountable despite the failure: form 0.",
    },
    RefusalKind: {
        "first_offence": "A first violation was put forward for leniency and refused.",
        "minor_error": "The smallness of the error was put forward and refused: small errors are pursued too.",
        "many_participants": "That many took part was put forward and refused: numbers shield nobody.",
        "personally_clean": "A principal leader's own integrity was put forward and refused: a unit with many "
        "problems calls its leader to account whatever their own conduct.",
        "outweighed": "A mitigating circumstance that an aggravating one outweighed.",
    },
}

#: What each form of the four forms (四种形态) means in practice, with form 0 for no accountability.
FORM_MEANINGS: dict[int, str] = {
    0: "Not held accountable, or exempted from accountability.",
    1: "Everyday criticism and correction: talks, criticism, a written self-examination, circulated criticism or "
    "admonishment. Most lapses end here.",
    2: "Light party sanctions (warning, serious warning) or an organisational adjustment of the person's post.",
    3: "Heavy party sanctions and major adjustments: removal from party posts, probation, demotion or removal from "
    "a leading post, expulsion.",
    4: "Conduct suspected of being a crime: the case is filed for review and passed to the judicial organs.",
}


def meaning(value: str, literal: object) -> str:
    """What ``value`` of the enumeration ``literal`` means in practice ("" when nothing is written for it)."""
    return MEANINGS.get(literal, {}).get(value, "")
