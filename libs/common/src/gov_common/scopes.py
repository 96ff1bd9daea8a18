"""The platform's API scopes: one catalogue, one form (``<service>.<resource>.<action>``).

A scope says what a *client* may do on a person's or its own behalf; it never widens what the caller may
see (roles, department, region and ownership still decide, in :mod:`gov_common.policy`). Identity issues
a scope only when the client is registered for it, the request asked for it and the person consented (or
the client is first-party, recorded as such). Every non-public operation of every service names exactly
one scope with :func:`gov_common.auth.scoped`; the OpenAPI documents carry it as ``security``.
"""

from __future__ import annotations

from typing import Final

# scope -> what it lets a client do (shown on the consent page and in discovery's scopes_supported).
CATALOGUE: Final[dict[str, str]] = {
    # identity
    "identity.account.read": "read your account, sessions and verification level",
    "identity.account.write": "change your profile, password, recovery phone and sessions",
    "identity.enterprises.read": "read the enterprises you represent or act for and their agents",
    "identity.enterprises.write": "register an enterprise and grant or revoke its agents",
    "identity.people.verify": "hall staff: verify a person in person (real-name check)",
    "identity.staff.admin": "staff administration: accounts, roles, departments, clients",
    "identity.holder.read": "platform systems: resolve a license holder's identifiers",
    "identity.holder.match": "platform systems (the hall's kiosks): whether the person checked in front of a kiosk is an account's holder (yes or no)",
    # catalog
    "catalog.items.write": "draft, edit, submit, publish and withdraw service items and bundles",
    "catalog.guides.read": "staff: read and search the items' handling guides (审查要点) of their region line",
    "catalog.usage.read": "staff: usage statistics of the front-ends (search terms, item popularity; anonymous)",
    "catalog.usage.report": "front-ends: report anonymous usage counts (item views, applications, search terms)",
    # application
    "application.applications.read": "read your applications (or the enterprise's, as its agent)",
    "application.applications.write": "create, fill in, submit, supplement and withdraw applications",
    "application.appointments.read": "read hall appointments",
    "application.appointments.write": "book, change and cancel hall appointments; manage halls",
    "application.delivery.write": "logistics providers: report deliveries",
    "application.cases.lookup": "platform systems (the hall's kiosks): a case's status for the person checked in front of it",
    # workflow
    "workflow.cases.read": "read cases and their traces",
    "workflow.cases.handle": "staff: claim, handle and take back case tasks",
    "workflow.supervision.read": "supervisors: time-limit supervision and evaluations",
    "workflow.supervision.write": "supervisors: issue supervision orders (督办); departments: answer them",
    "workflow.calendar.write": "administrators: maintain the working-day calendar",
    # certificates
    "certificates.licenses.read": "read your e-licenses (or the enterprise's)",
    "certificates.licenses.share": "grant and revoke others' use of your e-licenses",
    "certificates.licenses.issue": "staff: issue, revoke and seal e-licenses",
    "certificates.licenses.import": "department systems: bring licences their department issued outside the platform into holders' wallets",
    "certificates.licenses.print": "platform systems (the hall's kiosks): the e-licences of the person checked in front of a kiosk, to print",
    # payment
    "payment.orders.read": "read payment orders and receipts",
    "payment.orders.pay": "pay or cancel your payment orders",
    "payment.orders.write": "platform systems and finance staff: create and manage payment orders",
    "payment.finance.manage": "finance staff: run reconciliations, decide refunds",
    # exchange
    "exchange.catalog.read": "city platforms: pull the published catalog of their region",
    "exchange.cases.write": "city platforms: push cases and their status changes",
    "exchange.webhooks.manage": "city platforms: manage their own webhook subscriptions",
    "exchange.shared.query": "departments and their systems: ask for and query approved shared datasets",
    "exchange.national.read": "national platform adapter: read upward batches",
    "exchange.discovery.read": "external systems: list the operations their granted scopes open",
    "exchange.hotline.write": "city platforms: answer, close or return the 12345 work orders forwarded to them",
    "exchange.registry.admin": "platform administrators: external systems, datasets, sharing approvals, audit",
    # evaluation
    "evaluation.ratings.write": "rate your cases and confirm rectifications",
    "evaluation.ratings.read": "read ratings and statistics",
    "evaluation.ratings.relay": "hall devices, the 12345 hotline and SMS: relay an applicant's rating",
    "evaluation.rectifications.write": "staff: answer ratings, rectifications and consultations",
    "evaluation.consultations.write": "ask questions, file complaints and rate the answers",
    # hotline
    "hotline.orders.read": "read 12345 work orders (your own messages; staff: their department's or the centre's)",
    "hotline.orders.write": "leave a message for 12345; operators: record calls, dispatch, call back",
    "hotline.orders.handle": "departments: sign for, return, answer and ask to extend 12345 work orders",
    "hotline.knowledge.write": "staff: write and review entries of the 12345 knowledge base",
    "hotline.supervision.read": "supervisors: 12345 figures, scores and the topic pool",
    "hotline.rules.write": "supervisors: 12345 categories and dispatch rules",
    "hotline.exchange.write": "other hotlines and city platforms: push work orders to 12345",
    # hall
    "hall.tickets.take": "take hall tickets: check in your appointment, read your tickets and agency cases; kiosks",
    "hall.windows.operate": "hall staff: sign in at a window, issue tickets, call and serve, act as agent (全程代办)",
    "hall.halls.admin": "staff admins: set up halls, queues, windows and kiosks",
    "hall.figures.read": "hall figures and attendance: waits, service times, no-shows",
}

# What the consent page tells a person in Chinese (the sign-in pages are Chinese only): one text per scope of
# CATALOGUE and OIDC (a unit test keeps them complete).
CONSENT_TEXT: Final[dict[str, str]] = {
    "openid": "确认您的身份（账号标识）",
    "profile": "读取您的姓名和用户名",
    "phone": "读取您的手机号码",
    "offline_access": "在您离开后保持登录状态",
    "identity.account.read": "查看您的账号、登录会话和实名认证等级",
    "identity.account.write": "修改您的资料、密码、找回手机号和登录会话",
    "identity.enterprises.read": "查看您代表或代理的企业及其经办人",
    "identity.enterprises.write": "登记企业，授予或收回经办人权限",
    "identity.people.verify": "窗口人员：现场核验办事人身份（实名核验）",
    "identity.staff.admin": "工作人员管理：账号、角色、部门和接入应用",
    "identity.holder.read": "平台系统：查询证照持有人的标识",
    "identity.holder.match": "平台系统（大厅自助终端）：核对现场核验身份的办事人是否为账号本人（只答是或否）",
    "catalog.items.write": "起草、编辑、提交、发布和撤回政务服务事项及一件事",
    "catalog.guides.read": "工作人员：查看和检索本辖区及上级事项的审查要点",
    "catalog.usage.read": "工作人员：查看门户使用统计（搜索热词、事项热度，不含个人信息）",
    "catalog.usage.report": "前端应用：上报匿名的使用计数（事项浏览、申报和搜索词）",
    "application.applications.read": "查看您的办件（或作为经办人查看企业的办件）",
    "application.applications.write": "填写、提交、补正和撤回办件",
    "application.appointments.read": "查看大厅预约",
    "application.appointments.write": "预约、改约和取消大厅预约；管理大厅",
    "application.delivery.write": "物流企业：回报寄递状态",
    "application.cases.lookup": "平台系统（大厅自助终端）：为现场核验身份的办事人查询其办件状态",
    "workflow.cases.read": "查看办件进度和办理轨迹",
    "workflow.cases.handle": "工作人员：签收、办理和退回办件",
    "workflow.supervision.read": "监察人员：时限监察和评价",
    "workflow.supervision.write": "监察人员下达督办；部门回复督办",
    "workflow.calendar.write": "管理员：维护工作日历",
    "certificates.licenses.read": "查看您的电子证照（或企业的电子证照）",
    "certificates.licenses.share": "授权他人使用您的电子证照，或收回授权",
    "certificates.licenses.issue": "工作人员：签发、注销电子证照并加盖电子印章",
    "certificates.licenses.import": "部门系统：将部门在平台外签发的证照归集到持证人名下",
    "certificates.licenses.print": "平台系统（大厅自助终端）：为现场核验身份的持证人打印其电子证照",
    "payment.orders.read": "查看缴费订单和电子票据",
    "payment.orders.pay": "支付或取消您的缴费订单",
    "payment.orders.write": "平台系统和财务人员：创建和管理缴费订单",
    "payment.finance.manage": "财务人员：对账和审核退款",
    "exchange.catalog.read": "市级平台：获取本地区已发布的事项目录",
    "exchange.cases.write": "市级平台：推送办件及其状态变化",
    "exchange.webhooks.manage": "市级平台：管理本平台的消息订阅",
    "exchange.shared.query": "部门及其系统：申请和查询已批准共享的数据",
    "exchange.national.read": "国家平台对接：读取上报批次",
    "exchange.discovery.read": "外部系统：查看已授权可调用的接口",
    "exchange.hotline.write": "市级平台：答复、办结或退回转派给本平台的 12345 工单",
    "exchange.registry.admin": "平台管理员：外部系统、数据目录、共享审批和审计",
    "evaluation.ratings.write": "评价您的办件，确认整改结果",
    "evaluation.ratings.read": "查看评价和统计",
    "evaluation.ratings.relay": "大厅评价器、12345 热线和短信：转交办事人的评价",
    "evaluation.rectifications.write": "工作人员：回复评价、整改和咨询",
    "evaluation.consultations.write": "咨询、投诉并评价答复",
    "hotline.orders.read": "查看 12345 工单（您的留言；工作人员：本部门或中心的工单）",
    "hotline.orders.write": "向 12345 留言；话务员：登记来电、派单和回访",
    "hotline.orders.handle": "部门：签收、退回、答复 12345 工单和申请延期",
    "hotline.knowledge.write": "工作人员：编写和审核 12345 知识库条目",
    "hotline.supervision.read": "监察人员：12345 统计、考核和主题池",
    "hotline.rules.write": "监察人员：12345 分类和派单规则",
    "hotline.exchange.write": "其他热线和市级平台：向 12345 推送工单",
    "hall.tickets.take": "大厅取号：预约签到，查看您的排队号和代办办件；自助终端",
    "hall.windows.operate": "大厅人员：窗口签到、发号、叫号办理和全程代办",
    "hall.halls.admin": "工作人员管理员：设置大厅、队列、窗口和自助终端",
    "hall.figures.read": "大厅统计和考勤：等候时长、办理时长、过号率",
}

# Standard OpenID Connect scopes: they open userinfo claims and refresh tokens, no platform API.
OIDC: Final[frozenset[str]] = frozenset({"openid", "profile", "phone", "offline_access"})

# What a person acting for themself or an enterprise may hold (the citizen portal asks for these).
PERSON: Final[frozenset[str]] = frozenset(
    {
        "identity.account.read",
        "identity.account.write",
        "identity.enterprises.read",
        "identity.enterprises.write",
        "application.applications.read",
        "application.applications.write",
        "application.appointments.read",
        "application.appointments.write",
        "workflow.cases.read",
        "certificates.licenses.read",
        "certificates.licenses.share",
        "payment.orders.read",
        "payment.orders.pay",
        "evaluation.ratings.write",
        "evaluation.ratings.read",
        "evaluation.consultations.write",
        "hotline.orders.read",
        "hotline.orders.write",
        "hall.tickets.take",
    }
)

# What an enterprise's representative may grant an agent (经办人); the representative holds them all.
ENTERPRISE: Final[frozenset[str]] = frozenset(
    {
        "application.applications.read",
        "application.applications.write",
        "payment.orders.read",
        "payment.orders.pay",
        "certificates.licenses.read",
        "certificates.licenses.share",
        "evaluation.ratings.write",
        "evaluation.ratings.read",
        "evaluation.consultations.write",
        "workflow.cases.read",
    }
)

# What staff may hold through the workbench (their roles, department and region still decide).
STAFF: Final[frozenset[str]] = frozenset(
    {
        "identity.account.read",
        "identity.account.write",
        "identity.people.verify",
        "identity.staff.admin",
        "catalog.items.write",
        "catalog.guides.read",
        "catalog.usage.read",
        "application.applications.read",
        "application.applications.write",
        "application.appointments.read",
        "application.appointments.write",
        "workflow.cases.read",
        "workflow.cases.handle",
        "workflow.supervision.read",
        "workflow.supervision.write",
        "workflow.calendar.write",
        "certificates.licenses.read",
        "certificates.licenses.issue",
        "payment.orders.read",
        "payment.orders.write",
        "payment.finance.manage",
        "exchange.shared.query",
        "exchange.registry.admin",
        "evaluation.ratings.read",
        "evaluation.rectifications.write",
        "hotline.orders.read",
        "hotline.orders.write",
        "hotline.orders.handle",
        "hotline.knowledge.write",
        "hotline.supervision.read",
        "hotline.rules.write",
        "hall.tickets.take",
        "hall.windows.operate",
        "hall.halls.admin",
        "hall.figures.read",
    }
)

# Scopes only a system (client credentials) may hold: never issued to a person's token.
SYSTEM_ONLY: Final[frozenset[str]] = frozenset(
    {
        "identity.holder.read",
        "identity.holder.match",
        "catalog.usage.report",
        "application.delivery.write",
        "application.cases.lookup",
        "certificates.licenses.import",
        "certificates.licenses.print",
        "exchange.catalog.read",
        "exchange.cases.write",
        "exchange.webhooks.manage",
        "exchange.discovery.read",
        "exchange.national.read",
        "exchange.hotline.write",
        "evaluation.ratings.relay",
        "hotline.exchange.write",
    }
)


def default_for(kind: str) -> frozenset[str]:
    """What a first-party client gives a caller of ``kind`` (tests and demo clients start from this)."""
    if kind == "staff":
        return STAFF
    if kind == "enterprise":
        return ENTERPRISE
    if kind == "citizen":
        return PERSON
    return frozenset()


def unknown(scopes: set[str] | frozenset[str] | list[str]) -> list[str]:
    """Scopes that are neither OIDC nor in the catalogue."""
    return [s for s in scopes if s not in CATALOGUE and s not in OIDC]
