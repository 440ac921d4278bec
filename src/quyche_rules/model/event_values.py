"""The closed vocabularies of event fields (matters, personnel actions, meeting kinds...).

Every value a rule condition may name is one of these members; the rule loader refuses
any other.
"""

from __future__ import annotations

from enum import StrEnum

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


class InspectionGrounds(StrEnum):
    """Why an inspection or supervision was opened (Arts. 13.4, 13.5): by programme, or on
    signs of violation. ``not_given`` (the default) keeps the answers given before the field
    existed, where the text allows them."""

    NOT_GIVEN = "not_given"  # không nêu
    ROUTINE = "routine"  # theo chương trình, kế hoạch (thường xuyên)
    VIOLATION_SIGNS = "violation_signs"  # khi có dấu hiệu vi phạm


class AsksFor(StrEnum):
    """What a written request of coordination asks for (Art. 3.1). Silence past the due date
    "được xem là đồng ý với ý kiến của cơ quan đề nghị": it can stand for agreeing with an
    opinion, never for handing over information or documents. The default is an opinion,
    the case the clause speaks of and the answer every event gave before the field existed."""

    OPINION = "opinion"  # xin ý kiến
    INFORMATION = "information"  # đề nghị cung cấp thông tin, tài liệu


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
