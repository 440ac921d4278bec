"""The events other systems report, one Pydantic model per event type.

Every trigger in the rulebook names one of these types and conditions on its fields, and
the loader refuses a rule that names a field or a value that is not here. Types are strict
on purpose: the durable-rules engine compares values loosely (``5 == "5"``, ``True == 1``),
so a boolean must arrive as a boolean and a party as a registry id, never as something that
happens to compare equal. Strings are brought to NFC, because the engine compares bytes.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
)

from .errors import EventError, excerpt
from .parties import AGENCY_CLASS, PartyRegistry, default_registry
from .yamlio import loc_to_field


@dataclass(frozen=True)
class PartyField:
    """Marks a field whose value is a party id (so rules may write ``@field``)."""


def _resolve_party(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a party id or name (a string)")
    registry: PartyRegistry = (info.context or {}).get("registry") or default_registry()
    try:
        return registry.resolve(value).id
    except KeyError:
        raise ValueError(f"unknown party {value!r}") from None


def _resolve_agency(value: Any, info: ValidationInfo) -> str:
    """``agency``: the Bloc agency the event concerns, by id or name; a body of the agency
    (its leadership, its Party organisation) names the agency too."""
    pid = _resolve_party(value, info)
    registry: PartyRegistry = (info.context or {}).get("registry") or default_registry()
    agency = registry.agency_of(pid)
    if agency is None:
        raise ValueError(
            f"{value!r} is not a Bloc agency (a member of {AGENCY_CLASS} in the loaded profile)"
        )
    return agency


def _resolve_district(value: Any, info: ValidationInfo) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a district id or name (a string)")
    registry: PartyRegistry = (info.context or {}).get("registry") or default_registry()
    try:
        return registry.resolve_district(value)
    except KeyError:
        known = ", ".join(sorted(registry.districts)) or "none: load a profile"
        raise ValueError(f"unknown district {value!r} (known: {known})") from None


#: Plausible event dates: the working calendar covers 2000-2100 (``calendar.MIN_YEAR`` and
#: ``MAX_YEAR``); a date outside is a typo (``0202-01-23``) and is refused, not answered.
MIN_EVENT_YEAR = 2000
MAX_EVENT_YEAR = 2100
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _iso_date(value: Any) -> dt.date:
    """Strict ISO ``YYYY-MM-DD`` (not the looser forms ``fromisoformat`` accepts since 3.11,
    such as ``20250123``), a real calendar date, in the plausible years."""
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date-time")
    if isinstance(value, str):
        text = value.strip()
        if not _ISO_DATE.match(text):
            raise ValueError(f"{excerpt(value)} is not an ISO date (YYYY-MM-DD)")
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{excerpt(value)} is not a real date") from None
    if not isinstance(value, dt.date):
        raise ValueError("must be an ISO date (YYYY-MM-DD)")
    if not MIN_EVENT_YEAR <= value.year <= MAX_EVENT_YEAR:
        raise ValueError(
            f"{value.isoformat()} is outside the supported years {MIN_EVENT_YEAR}-{MAX_EVENT_YEAR}"
        )
    return value


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value) if isinstance(value, str) else value


PartyId = Annotated[
    str,
    BeforeValidator(_resolve_party),
    PartyField(),
    Field(json_schema_extra={"description": "party id or name, see rules/parties.yaml"}),
]
AgencyId = Annotated[
    str,
    BeforeValidator(_resolve_agency),
    Field(json_schema_extra={"description": "a Bloc agency of the profile, by id or name"}),
]
DistrictId = Annotated[
    str,
    BeforeValidator(_resolve_district),
    Field(json_schema_extra={"description": "a district of the profile, by id or name"}),
]
IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
Text = Annotated[str, BeforeValidator(_nfc), Field(max_length=2000)]


# --- vocabularies of the event fields -------------------------------------------------------


class Matter(StrEnum):
    INSPECTION = "inspection"  # kiểm tra
    SUPERVISION = "supervision"  # giám sát
    COMPLAINT = "complaint"  # khiếu nại
    DENUNCIATION = "denunciation"  # tố cáo
    DISCIPLINE = "discipline"  # thi hành kỷ luật
    INTERNAL_AFFAIRS = "internal_affairs"  # nội chính, phòng, chống tham nhũng, tiêu cực
    COUNCIL_OVERSIGHT = "council_oversight"  # giám sát, thẩm tra của HĐND


class SubjectKind(StrEnum):
    ORGANISATION = "organisation"  # tổ chức đảng / tổ chức
    MEMBER = "member"  # đảng viên, cán bộ, cá nhân


class ViolationOf(StrEnum):
    PARTY_RULES = "party_rules"  # Điều lệ Đảng, kỷ luật Đảng
    LAW = "law"  # pháp luật của Nhà nước
    NATIONAL_SECURITY = "national_security"  # an ninh quốc gia


class ComplaintKind(StrEnum):
    COMPLAINT = "complaint"  # khiếu nại
    DENUNCIATION = "denunciation"  # tố cáo
    RECOMMENDATION = "recommendation"  # kiến nghị
    FEEDBACK = "feedback"  # phản ánh
    CASE = "case"  # vụ việc, vụ án


class PersonnelAction(StrEnum):
    APPOINTMENT = "appointment"  # bổ nhiệm
    REAPPOINTMENT = "reappointment"  # bổ nhiệm lại
    TRANSFER = "transfer"  # điều động
    ROTATION = "rotation"  # luân chuyển
    NOMINATION = "nomination"  # giới thiệu ứng cử
    DISMISSAL = "dismissal"  # miễn nhiệm
    PLANNING = "planning"  # quy hoạch
    DISCIPLINE = "discipline"  # kỷ luật
    REWARD = "reward"  # khen thưởng


class PersonnelStage(StrEnum):
    POLICY_AGREED = "policy_agreed"  # thống nhất chủ trương về nhân sự dự kiến
    PROCESS_STARTED = "process_started"  # chủ trì thực hiện quy trình về công tác cán bộ
    DECISION_PLANNED = "decision_planned"  # trước khi quyết định
    ANNOUNCEMENT_CONFERENCE = "announcement_conference"  # hội nghị công bố quyết định


class CommitteeRole(StrEnum):
    NONE = "none"
    CAP_UY_VIEN = "cap_uy_vien"  # cấp ủy viên of a cell/committee under Đảng bộ Khối
    PHO_BI_THU = "pho_bi_thu"
    BI_THU = "bi_thu"


class RestructuringScope(StrEnum):
    APPARATUS = "apparatus"  # tổ chức bộ máy
    PARTY_ORGANISATION = "party_organisation"  # tổ chức đảng


class VerificationKind(StrEnum):
    POLITICAL_STANDARDS = "political_standards"  # kết luận tiêu chuẩn chính trị
    POLITICAL_HISTORY = "political_history"  # lịch sử chính trị và chính trị hiện nay


class MeetingKind(StrEnum):
    HDND_PUBLIC_SESSION = "hdnd_public_session"
    UBND_REGULAR_SESSION = "ubnd_regular_session"
    UBND_CONFERENCE = "ubnd_conference"  # hội nghị triển khai chương trình, kế hoạch của tỉnh
    UBND_WORKING_SESSION = "ubnd_working_session"  # làm việc với cơ quan, đơn vị, doanh nghiệp
    THUONG_TRUC_TINH_UY_WORKING_SESSION = "thuong_truc_tinh_uy_working_session"


class DocumentKind(StrEnum):
    DIRECTIVE = "directive"  # chỉ thị
    RESOLUTION = "resolution"  # nghị quyết
    DECREE = "decree"  # nghị định
    DECISION = "decision"  # quyết định
    REGULATION_ON_FUNCTIONS = "regulation_on_functions"  # quy định chức năng, cơ cấu tổ chức
    REPORT = "report"  # báo cáo
    OTHER = "other"


class RequestTopic(StrEnum):
    GENERAL = "general"
    INSPECTION = "inspection"
    COMPLAINT = "complaint"
    DISCIPLINE = "discipline"


class StatementKind(StrEnum):
    # nói, viết, phát tán tài liệu, trả lời phỏng vấn trái với quy định
    IMPROPER_STATEMENT = "improper_statement"
    LEAK = "leak"  # cung cấp, tiết lộ bí mật của Đảng, Nhà nước
    HARMFUL_ACTIVITY = "harmful_activity"  # hoạt động gây nguy hại đến an ninh quốc gia


class TravelPurpose(StrEnum):
    SETTLEMENT = "settlement"
    WORK = "work"
    STUDY = "study"
    OFFICIAL = "official"
    VISIT = "visit"
    TOURISM = "tourism"
    OTHER = "other"


class PeriodKind(StrEnum):
    YEAR = "year"
    HALF_YEAR = "half_year"


class InspectionStage(StrEnum):
    """Issue 9: the moment of an inspection, supervision or review. ``decided`` (the
    default, today's meaning of the event) is its start; ``concluding`` is the moment before
    the concluding body adopts its conclusion or decision ("trước khi kết luận, quyết định",
    Art. 13.4)."""

    DECIDED = "decided"  # quyết định kiểm tra, giám sát; thụ lý, bắt đầu xem xét
    CONCLUDING = "concluding"  # sắp kết luận, quyết định


class FindingKind(StrEnum):
    """Issue 9: what was found. Art. 14.2 names "biểu hiện vi phạm, khuyết điểm, hạn chế";
    Arts. 13.4, 9.3 and 15.2 speak of violations only. The default keeps today's answers."""

    VIOLATION = "violation"  # dấu hiệu, biểu hiện vi phạm
    SHORTCOMING = "shortcoming"  # khuyết điểm, hạn chế (not a violation)


class PostList(StrEnum):
    """Issue 9: whose list the *post* of a personnel action is on ("vào các chức danh lãnh
    đạo diện Ban Thường vụ Tỉnh ủy quản lý", Art. 5.2.a). ``not_given`` (the default): the
    person's current category (``cadre_managed_by``) stands for it, as before."""

    NOT_GIVEN = "not_given"
    TINH_UY = "tinh_uy"  # diện Tỉnh ủy quản lý
    BAN_THUONG_VU_TINH_UY = "ban_thuong_vu_tinh_uy"  # diện Ban Thường vụ Tỉnh ủy quản lý
    BAN_THUONG_VU_DANG_UY_KHOI = "ban_thuong_vu_dang_uy_khoi"  # diện BTV Đảng ủy Khối quản lý
    LANH_DAO_CO_QUAN = "lanh_dao_co_quan"  # diện lãnh đạo cơ quan quản lý
    OTHER = "other"


# --- the events -----------------------------------------------------------------------------


class _Event(BaseModel):
    """Fields every event has. ``date`` is when the event happened (for a document: its
    date); ``reference`` and ``summary`` are carried for the caller's records only and
    never decide an obligation."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False)

    date: IsoDate
    reference: Text | None = None
    summary: Text | None = None
    # issue 8: which member of a class the event concerns, where the text binds a class
    # ("lãnh đạo các cơ quan thuộc Khối", "tổ chức đảng ... đóng trên địa bàn"); resolution
    # only, never tested by a rule
    agency: AgencyId | None = None
    district: DistrictId | None = None


class CoordinationNeeded(_Event):
    """Art. 3.1: an issue needs coordination; the body raising it must write first."""

    type: Literal["coordination_needed"]
    raised_by: PartyId
    with_parties: list[PartyId] = Field(min_length=1)


class CoordinationRequested(_Event):
    """Art. 3.1: a written coordination request was sent; ``received_on`` starts the 7
    working days."""

    type: Literal["coordination_requested"]
    requester: PartyId
    requested: PartyId
    received_on: IsoDate | None = None
    topic: RequestTopic = RequestTopic.GENERAL
    # issue 9: a reply date the request grants; it can lengthen the 7 working days of Art.
    # 3.1, never shorten them (the due date is the later of the two)
    reply_by: IsoDate | None = None


class CoordinationExtensionNeeded(_Event):
    """Art. 3.1: the requested body needs more time than the deadline gives.

    ``reply_by`` is the reply date it fixes ("xác định thời gian phản hồi") and
    ``in_reply_to`` the reference of the request it concerns; both optional for the engine
    (the duty to notify does not depend on them), both read by the tracker to move the
    request's due date."""

    type: Literal["coordination_extension_needed"]
    requester: PartyId
    requested: PartyId
    reply_by: IsoDate | None = None
    in_reply_to: Text | None = None


class IssueArose(_Event):
    """Art. 2.2: a practical issue arose between Đảng ủy Khối and related bodies."""

    type: Literal["issue_arose"]
    related_parties: list[PartyId] = Field(min_length=1)


class CoordinationDisagreement(_Event):
    """Art. 2.2: the coordinating parties cannot agree."""

    type: Literal["coordination_disagreement"]
    lead_party: PartyId
    other_parties: list[PartyId] = Field(min_length=1)
    # the reference of the request the parties disagree on: the tracker marks its case
    # escalated (Art. 2.2: the lead body reports up); no rule tests it
    in_reply_to: Text | None = None


class ImportantIssueRaised(_Event):
    """Art. 3.3: an important issue needs a meeting before a decision."""

    type: Literal["important_issue_raised"]
    raised_by: PartyId
    related_parties: list[PartyId] = Field(min_length=1)


class InspectionProgrammeDrafting(_Event):
    """Art. 4.1.a: a yearly inspection and supervision programme is being drafted."""

    type: Literal["inspection_programme_drafting"]
    drafted_by: PartyId


class _Subject(BaseModel):
    subject_kind: SubjectKind
    subject_in_bloc: StrictBool
    subject_managed_by: PartyId | None = None


class ConclusionMeetingPlanned(_Event, _Subject):
    """Art. 4.1.b: a conference announcing inspection/supervision/complaint/denunciation
    conclusions is being prepared."""

    type: Literal["conclusion_meeting_planned"]
    advised_by: PartyId
    matter: Matter


class ConclusionIssued(_Event, _Subject):
    """A conclusion (inspection, supervision, complaint, denunciation, discipline, internal
    affairs, HĐND oversight) was issued."""

    type: Literal["conclusion_issued"]
    issued_by: PartyId
    matter: Matter
    # issue 9: an inspection or discipline conclusion whose content is internal affairs or
    # anti-corruption (Art. 9.3); false (the default) keeps today's answers
    concerns_internal_affairs: StrictBool = False


class InspectionDecided(_Event, _Subject):
    """Arts. 4.2.c, 13.4, 13.5: an inspection, supervision or complaint, denunciation or
    discipline review was decided (``stage: decided``) or is about to be concluded
    (``stage: concluding``)."""

    type: Literal["inspection_decided"]
    decided_by: PartyId
    matter: Matter
    # issue 9: "decided" (default) at the start; "concluding" just before the conclusion
    stage: InspectionStage = InspectionStage.DECIDED


class ViolationSignsDetected(_Event, _Subject):
    """Signs of a violation by a Party organisation or member were detected."""

    type: Literal["violation_signs_detected"]
    detected_by: PartyId
    violation_of: ViolationOf
    # issue 9: a violation (default) or a shortcoming that is not one (Art. 14.2)
    finding: FindingKind = FindingKind.VIOLATION


class ComplaintReceived(_Event, _Subject):
    """A complaint, denunciation, petition or case was received."""

    type: Literal["complaint_received"]
    received_by: PartyId
    kind: ComplaintKind
    concerns_internal_affairs: StrictBool = False


class PersonnelActionEvent(_Event):
    """A personnel action at some stage, with who decides and who runs the procedure."""

    type: Literal["personnel_action"]
    action: PersonnelAction
    stage: PersonnelStage
    decided_by: PartyId | None = None
    conducted_by: PartyId | None = None
    cadre_managed_by: PartyId | None = None
    person_in_bloc: StrictBool
    person_committee_role: CommitteeRole = CommitteeRole.NONE
    received_on: IsoDate | None = None
    # issue 9: whose list the post is on (Art. 5.2.a); not_given: cadre_managed_by stands for it
    post_list: PostList = PostList.NOT_GIVEN
    # issue 9: a later reply date the request itself grants (Art. 3.1 "thời hạn theo văn bản
    # đề nghị"); the due date is the later of it and the 7 working days
    reply_by: IsoDate | None = None


class Restructuring(_Event):
    """Arts. 5.2.b, 13.3: reorganisation of an apparatus or of Party organisations."""

    type: Literal["restructuring"]
    conducted_by: PartyId
    scope: RestructuringScope
    affects_bloc_units: StrictBool
    provincial_policy: StrictBool = False


class VerificationRequested(_Event):
    """Arts. 5.2.c, 15.4: a political-standards conclusion or a political-history
    verification was requested."""

    type: Literal["verification_requested"]
    requested_by: PartyId
    requested_from: PartyId
    kind: VerificationKind
    received_on: IsoDate | None = None
    reply_by: IsoDate | None = None  # issue 9: see CoordinationRequested.reply_by


class MeetingPlanned(_Event):
    """Arts. 8.3, 10.3, 11.4: a session, conference or working session is planned."""

    type: Literal["meeting_planned"]
    convened_by: PartyId
    kind: MeetingKind
    concerns_bloc: StrictBool


class DocumentIssued(_Event):
    """Arts. 11.2, 11.4, 14.3: a document was issued."""

    type: Literal["document_issued"]
    issued_by: PartyId
    kind: DocumentKind
    concerns_bloc: StrictBool


class TaskDeployed(_Event):
    """Art. 10.2: Ban Thường vụ Đảng ủy Khối deploys a task to grassroots organisations."""

    type: Literal["task_deployed"]
    deployed_by: PartyId
    related_bodies: list[PartyId] = Field(default_factory=list)


class RecommendationMade(_Event):
    """Art. 8.1: Đảng ủy Khối makes a proposal or recommendation to the provincial leadership."""

    type: Literal["recommendation_made"]
    made_by: PartyId
    addressed_to: PartyId


class TravelAbroad(_Event):
    """Art. 15.2: an organisation or person of Đảng bộ Khối goes abroad."""

    type: Literal["travel_abroad"]
    traveller_in_bloc: StrictBool
    purpose: TravelPurpose


class ImproperStatementOrLeak(_Event):
    """Art. 15.3: improper statements, leaks of secrets or harmful activity detected. The
    same conduct is a breach of Party rules and of law (Arts. 4.2.b, 9.3, 13.4, 14.2, 15.2
    hear this event too: one fact, every spelling)."""

    type: Literal["improper_statement_or_leak"]
    detected_by: PartyId
    kind: StatementKind
    subject_in_bloc: StrictBool
    # issue 9: the person's management category, for Art. 9.3 ("diện Ban Thường vụ Đảng ủy
    # Khối quản lý"); such conduct is also a breach of law and Party rules
    subject_managed_by: PartyId | None = None


class PeriodStarted(_Event):
    """A reporting period began: send ``year`` on 1 January (it starts a half-year too)
    and ``half_year`` on 1 July."""

    type: Literal["period_started"]
    period: PeriodKind


class CoordinationAnswered(_Event):
    """Art. 3.1: the requested body answered in writing; ``date`` is the answer's date, the
    one compared with the due date. ``requester`` is the body that sent the request (or
    other document) being answered, ``in_reply_to`` that document's reference.

    A lifecycle event for the tracker: it closes a duty and gives rise to none, so no rule
    listens to it (inventing one would invent a duty the text does not state)."""

    type: Literal["coordination_answered"]
    requester: PartyId
    requested: PartyId
    in_reply_to: Text


class CoordinationWithdrawn(_Event):
    """The requester withdrew its request ``in_reply_to``: nothing is owed on it any more.

    A lifecycle event for the tracker, no duty of its own (the text is silent on
    withdrawal, so no rule listens to it)."""

    type: Literal["coordination_withdrawn"]
    requester: PartyId
    requested: PartyId
    in_reply_to: Text


EVENT_MODELS: tuple[type[_Event], ...] = (
    CoordinationNeeded,
    CoordinationRequested,
    CoordinationExtensionNeeded,
    IssueArose,
    CoordinationDisagreement,
    ImportantIssueRaised,
    InspectionProgrammeDrafting,
    ConclusionMeetingPlanned,
    ConclusionIssued,
    InspectionDecided,
    ViolationSignsDetected,
    ComplaintReceived,
    PersonnelActionEvent,
    Restructuring,
    VerificationRequested,
    MeetingPlanned,
    DocumentIssued,
    TaskDeployed,
    RecommendationMade,
    TravelAbroad,
    ImproperStatementOrLeak,
    PeriodStarted,
    CoordinationAnswered,
    CoordinationWithdrawn,
)

Event = Annotated[
    CoordinationNeeded
    | CoordinationRequested
    | CoordinationExtensionNeeded
    | IssueArose
    | CoordinationDisagreement
    | ImportantIssueRaised
    | InspectionProgrammeDrafting
    | ConclusionMeetingPlanned
    | ConclusionIssued
    | InspectionDecided
    | ViolationSignsDetected
    | ComplaintReceived
    | PersonnelActionEvent
    | Restructuring
    | VerificationRequested
    | MeetingPlanned
    | DocumentIssued
    | TaskDeployed
    | RecommendationMade
    | TravelAbroad
    | ImproperStatementOrLeak
    | PeriodStarted
    | CoordinationAnswered
    | CoordinationWithdrawn,
    Field(discriminator="type"),
]

EVENT_TYPES: dict[str, type[_Event]] = {
    get_args(m.model_fields["type"].annotation)[0]: m for m in EVENT_MODELS
}
_ADAPTER: TypeAdapter[Any] = TypeAdapter(Event)


def parse_event(data: Any, *, registry: PartyRegistry | None = None) -> Any:
    """Validate a mapping (from JSON or YAML) into an event, or raise ``EventError`` naming
    the first offending field."""
    if registry is not None and not isinstance(registry, PartyRegistry):
        raise EventError(f"registry: must be a PartyRegistry, got {type(registry).__name__}")
    if isinstance(data, BaseModel) and type(data) in EVENT_MODELS:
        # a model built elsewhere (the HTTP service validates with pydantic alone) has
        # passed the field checks, not these: they are run here on every path
        return _checked(data, registry)
    if not isinstance(data, dict):
        raise EventError("event: must be a mapping with a 'type' field")
    etype = data.get("type")
    if not isinstance(etype, str) or etype not in EVENT_TYPES:
        known = ", ".join(sorted(EVENT_TYPES))
        raise EventError(f"type: unknown event type {etype!r} (known: {known})")
    try:
        event = _ADAPTER.validate_python(data, context={"registry": registry})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [p for p in err["loc"] if p != etype]
        msg = err["msg"].removeprefix("Value error, ")
        raise EventError(f"{loc_to_field(loc)}: {msg}") from None
    return _checked(event, registry)


def _checked(event: Any, registry: PartyRegistry | None) -> Any:
    """The checks across fields and against the registry's validity dates."""
    # A document cannot be received before the event that sent it: such a pair is a data
    # entry error, and counting a deadline from it would give a wrong answer silently.
    received = getattr(event, "received_on", None)
    if received is not None and received < event.date:
        raise EventError(
            f"received_on: {received.isoformat()} is before date {event.date.isoformat()}"
        )
    check_validity(event, registry or default_registry())
    return event


def check_validity(ev: Any, registry: PartyRegistry) -> None:
    """A body named by the event must exist on the event's date (a profile's
    ``valid_from``/``valid_to``): a merged or renamed agency cannot bear a duty after it is
    gone. Raises ``EventError`` naming the field."""
    for name in (*party_fields(ev.type), "agency"):
        value = getattr(ev, name, None)
        for pid in value if isinstance(value, list) else [value] if value else []:
            p = registry.parties[pid]
            if (p.valid_from and ev.date < p.valid_from) or (p.valid_to and ev.date > p.valid_to):
                span = f"{p.valid_from or '…'} to {p.valid_to or '…'}"
                raise EventError(
                    f"{name}: {p.name_vi} exists from {span}, the event is dated {ev.date}"
                )


# --- field introspection, for the rule loader and the compiler -------------------------------


@dataclass(frozen=True)
class FieldInfo:
    """What a rule may say about one event field."""

    name: str
    kind: Literal["party", "bool", "enum", "party_list"]
    enum: type[StrEnum] | None = None


def _describe(name: str, annotation: Any, metadata: list[Any]) -> FieldInfo | None:
    if any(isinstance(m, PartyField) for m in metadata):
        return FieldInfo(name, "party")
    args = [a for a in get_args(annotation) if a is not type(None)]
    base = args[0] if args and get_origin(annotation) is not list else annotation
    if get_origin(annotation) is list:
        inner = get_args(annotation)[0]
        if any(isinstance(m, PartyField) for m in getattr(inner, "__metadata__", ())):
            return FieldInfo(name, "party_list")
        return None
    if get_origin(base) is Annotated:
        inner_meta = base.__metadata__
        if any(isinstance(m, PartyField) for m in inner_meta):
            return FieldInfo(name, "party")
        base = get_args(base)[0]
    if base is bool:
        return FieldInfo(name, "bool")
    if isinstance(base, type) and issubclass(base, StrEnum):
        return FieldInfo(name, "enum", base)
    return None


def condition_fields(event_type: str) -> dict[str, FieldInfo]:
    """The fields of an event type that a rule condition may test."""
    return dict(_condition_fields(event_type))


@cache
def _condition_fields(event_type: str) -> dict[str, FieldInfo]:
    """``condition_fields`` computed once per event type (the models are fixed at import;
    issue 10: introspecting them per query cost a third of a query). Unknown types raise
    ``KeyError`` and are not cached."""
    model = EVENT_TYPES[event_type]
    out: dict[str, FieldInfo] = {}
    for name, f in model.model_fields.items():
        if name == "type":
            continue
        info = _describe(name, f.annotation, list(f.metadata))
        if info is not None:
            out[name] = info
    return out


def events_json_schema() -> dict[str, Any]:
    """JSON Schema of every event (a discriminated union on ``type``)."""
    schema = _ADAPTER.json_schema()
    schema["title"] = "quyche-rules event"
    return schema


@cache
def party_fields(event_type: str) -> tuple[str, ...]:
    """The fields of an event type that name parties (``party`` or ``party_list``), in model
    order; computed once per type, for the query path."""
    return tuple(
        n for n, i in _condition_fields(event_type).items() if i.kind in ("party", "party_list")
    )
