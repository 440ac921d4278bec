"""The events other systems report, one Pydantic model per event type.

Every trigger in the rulebook names one of these types and conditions on its fields, and
the loader refuses a rule that names a field or a value that is not here. Types are strict
on purpose: the durable-rules engine compares values loosely (``5 == "5"``, ``True == 1``),
so a boolean must arrive as a boolean and a party as a registry id, never as something that
happens to compare equal. Strings are brought to NFC, because the engine compares bytes.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
)

from quyche_rules.model.event_values import (
    AsksFor,
    CommitteeRole,
    ComplaintKind,
    DocumentKind,
    FindingKind,
    InspectionGrounds,
    InspectionStage,
    Matter,
    MeetingKind,
    PeriodKind,
    PersonnelAction,
    PersonnelStage,
    PostList,
    RequestTopic,
    RestructuringScope,
    StatementKind,
    SubjectKind,
    TravelPurpose,
    VerificationKind,
    ViolationOf,
)
from quyche_rules.model.field_types import AgencyId, DistrictId, IsoDate, PartyId, Text

# --- the events -----------------------------------------------------------------------------


class _Event(BaseModel):
    """Fields every event has. ``date`` is when the event happened (for a document: its
    date); ``reference`` and ``summary`` are carried for the caller's records only and
    never decide an obligation."""

    # built on first use, per type: a process that reads one event type (a clerk's
    # ``quyche notify`` of one letter) does not build the validators of all the others
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=False, defer_build=True)

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
    # what the request asks for: an opinion (silence past the due date is consent) or
    # information and documents (the same 7 working days, silence is no answer)
    asks_for: AsksFor = AsksFor.OPINION


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
    # what the request being extended asks for (see CoordinationRequested.asks_for)
    asks_for: AsksFor = AsksFor.OPINION


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
    # why it was opened: by programme or on signs of violation (13.4's joint review needs
    # signs of violation; 13.5 notifies a routine inspection of committees and cells only)
    grounds: InspectionGrounds = InspectionGrounds.NOT_GIVEN


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
    # what the request being answered asked for (see CoordinationRequested.asks_for)
    asks_for: AsksFor = AsksFor.OPINION


class CoordinationWithdrawn(_Event):
    """The requester withdrew its request ``in_reply_to``: nothing is owed on it any more.

    A lifecycle event for the tracker, no duty of its own (the text is silent on
    withdrawal, so no rule listens to it)."""

    type: Literal["coordination_withdrawn"]
    requester: PartyId
    requested: PartyId
    in_reply_to: Text


class CoordinationReceiptCorrected(_Event):
    """The day a recorded request was received (``received_on``) was entered wrong: the
    requester corrects it. ``in_reply_to`` is the request's reference, ``received_on`` the
    corrected day of receipt, ``date`` the day of the correction.

    A lifecycle event for the tracker, no duty of its own (no rule listens to it): Art. 3.1
    counts the 7 working days "kể từ khi nhận được văn bản", so the tracker counts them
    again from the corrected day and the case keeps its id (the same calendar event and
    webhook case). Reading choice: a correction of a fact, not a new request, so it is a
    separate event and never a second ``coordination_requested`` under the same reference
    (that would be a conflicting duplicate, refused so that nothing is silently overwritten).
    """

    # shown by the JSON Schema and the OpenAPI document (components) to integrators
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "coordination_receipt_corrected",
                    "date": "2025-01-27",
                    "requester": "dang_uy_khoi",
                    "requested": "ban_to_chuc_tinh_uy",
                    "in_reply_to": "123-CV/ĐUK",
                    "received_on": "2025-01-24",
                }
            ]
        }
    )

    type: Literal["coordination_receipt_corrected"]
    requester: PartyId
    requested: PartyId
    in_reply_to: Text
    received_on: IsoDate


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
    CoordinationReceiptCorrected,
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
    | CoordinationWithdrawn
    | CoordinationReceiptCorrected,
    Field(discriminator="type"),
]

EVENT_TYPES: dict[str, type[_Event]] = {
    get_args(m.model_fields["type"].annotation)[0]: m for m in EVENT_MODELS
}


@cache
def event_adapter() -> TypeAdapter[Any]:
    """The validator of the whole union, built on first use (the JSON Schema, callers that
    validate without knowing the type); ``parse_event`` validates with the one model its
    ``type`` names instead."""
    return TypeAdapter(Event)
