"""The closed vocabularies of the rulebook: duties, forms and periods.

They are public names (rules, obligations and the JSON output use them), so they live in
one table each, with the Vietnamese words of the text they stand for. A rule file that uses
a word not in these tables is rejected by the loader.
"""

from __future__ import annotations

from enum import StrEnum


class Duty(StrEnum):
    NOTIFY = "notify"
    INFORM = "inform"
    SEND_DOCUMENTS = "send_documents"
    PROVIDE = "provide"
    REQUEST_WRITTEN_OPINION = "request_written_opinion"
    REQUEST_OPINION = "request_opinion"
    GIVE_WRITTEN_OPINION = "give_written_opinion"
    GIVE_OPINION = "give_opinion"
    RESPOND_IN_WRITING = "respond_in_writing"
    SEND_REQUEST = "send_request"
    INVITE = "invite"
    INVITE_OR_NOTIFY = "invite_or_notify"
    REPORT = "report"
    PROPOSE = "propose"
    CONSULT = "consult"
    COORDINATE = "coordinate"
    ALIGN_WITH = "align_with"
    DIRECT = "direct"
    CHAIR_MEETING = "chair_meeting"
    CHAIR_PROCESS = "chair_process"
    MEET = "meet"
    SUPERVISE = "supervise"
    MANAGE_RECORDS = "manage_records"
    ANSWER_FOR_ACCURACY = "answer_for_accuracy"
    IMPLEMENT = "implement"


#: duty → (Vietnamese words of the text, English gloss, what it obliges)
DUTIES: dict[Duty, tuple[str, str, str]] = {
    Duty.NOTIFY: ("thông báo", "notify", "tell the counterparty that something happened"),
    Duty.INFORM: (
        "thông tin, trao đổi thông tin, chuyển tải",
        "inform",
        "pass on information the counterparty needs, on an ongoing basis or as it arises",
    ),
    Duty.SEND_DOCUMENTS: ("gửi", "send documents", "send the named documents"),
    Duty.PROVIDE: (
        "cung cấp",
        "provide",
        "hand over a specific conclusion, record or set of information",
    ),
    Duty.REQUEST_WRITTEN_OPINION: (
        "xin ý kiến tham gia bằng văn bản",
        "request a written opinion",
        "ask the counterparty for its opinion in writing before acting",
    ),
    Duty.REQUEST_OPINION: (
        "đề nghị tham gia ý kiến",
        "request an opinion",
        "ask the counterparty for its opinion (form not fixed by the text)",
    ),
    Duty.GIVE_WRITTEN_OPINION: (
        "tham gia ý kiến bằng văn bản",
        "give a written opinion",
        "give the counterparty an opinion in writing",
    ),
    Duty.GIVE_OPINION: (
        "tham gia ý kiến",
        "give an opinion",
        "give the counterparty an opinion (form not fixed by the text)",
    ),
    Duty.RESPOND_IN_WRITING: (
        "trả lời ... ý kiến tham gia bằng văn bản",
        "respond in writing",
        "answer a written coordination request in writing",
    ),
    Duty.SEND_REQUEST: (
        "gửi văn bản đề nghị",
        "send a written request",
        "send the written coordination request with its documents",
    ),
    Duty.INVITE: ("mời đại diện ... dự", "invite", "invite a representative to attend"),
    Duty.INVITE_OR_NOTIFY: (
        "mời ... dự (hoặc thông báo)",
        "invite or notify",
        "invite a representative to attend or, failing that, notify",
    ),
    Duty.REPORT: ("báo cáo", "report", "report to a superior body"),
    Duty.PROPOSE: ("đề xuất", "propose", "put a proposal to the counterparty"),
    Duty.CONSULT: (
        "trao đổi, trao đổi ý kiến",
        "consult",
        "exchange views with the counterparty to agree on a course",
    ),
    Duty.COORDINATE: (
        "phối hợp",
        "coordinate",
        "work together with the counterparty on the matter the clause names",
    ),
    Duty.ALIGN_WITH: (
        "căn cứ ... để xây dựng",
        "align with",
        "build one's own programme on the counterparty's, avoiding overlap",
    ),
    Duty.DIRECT: ("chỉ đạo, đôn đốc", "direct", "direct or urge subordinate bodies"),
    Duty.CHAIR_MEETING: (
        "chủ trì tổ chức họp",
        "chair a meeting",
        "convene and chair a meeting of the counterparties' leadership",
    ),
    Duty.CHAIR_PROCESS: (
        "chủ trì thực hiện quy trình",
        "chair a procedure",
        "lead a procedure (cadre process, supervision) that others join",
    ),
    Duty.MEET: (
        "làm việc, tổ chức họp",
        "hold a working session",
        "meet the counterparty to exchange and take stock",
    ),
    Duty.SUPERVISE: ("giám sát", "supervise", "carry out a supervision"),
    Duty.MANAGE_RECORDS: (
        "quản lý, sử dụng, lưu trữ",
        "manage records",
        "keep, use and archive exchanged documents as Party and State rules require",
    ),
    Duty.ANSWER_FOR_ACCURACY: (
        "chịu trách nhiệm toàn bộ nội dung và tính chính xác",
        "answer for accuracy",
        "bear responsibility for the content and accuracy of what one provides",
    ),
    Duty.IMPLEMENT: (
        "quán triệt và triển khai thực hiện",
        "implement",
        "disseminate and carry out",
    ),
}


class Form(StrEnum):
    IN_WRITING = "in_writing"
    MEETING = "meeting"
    ATTENDANCE = "attendance"
    MEETING_OR_WRITING = "meeting_or_writing"
    ANY = "any"
    UNSPECIFIED = "unspecified"


#: form → (Vietnamese words, English gloss)
FORMS: dict[Form, tuple[str, str]] = {
    Form.IN_WRITING: ("bằng văn bản", "in writing"),
    Form.MEETING: ("họp", "in a meeting"),
    Form.ATTENDANCE: ("tham dự", "by attending in person"),
    Form.MEETING_OR_WRITING: ("tổ chức họp hoặc trao đổi bằng văn bản", "meeting or writing"),
    Form.ANY: ("bằng nhiều hình thức", "by any means"),
    Form.UNSPECIFIED: ("(văn bản không quy định)", "not fixed by the text"),
}


class Period(StrEnum):
    """Recurring triggers. A half-yearly duty falls due at the start of each half-year,
    and 1 January starts a half-year as well as a year."""

    YEARLY = "yearly"
    HALF_YEARLY = "half_yearly"


PERIODS: dict[Period, tuple[str, str]] = {
    Period.YEARLY: ("hằng năm", "every year"),
    Period.HALF_YEARLY: ("định kỳ 6 tháng", "every six months"),
}

assert set(DUTIES) == set(Duty) and set(FORMS) == set(Form) and set(PERIODS) == set(Period)
