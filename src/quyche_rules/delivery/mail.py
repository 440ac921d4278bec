"""E-mail, the optional second channel: the same outbox messages as plain Vietnamese
e-mails (English below), sent over SMTP with the standard library.

A subscription whose endpoint is ``mailto:address`` gets e-mails instead of webhooks; the
worker treats both alike (one outbox, the same retries with back-off, dead letters and
re-drive). Why a ``mailto:`` endpoint and not a separate kind of subscription: the outbox,
the queue and every listing already carry the endpoint, and a clerk's address *is* where
the body wants to be told; nothing else had to learn a second shape.

- **Message-ID** ``<msg_…@quyche-rules>`` is the outbox message's stable id: every attempt
  of one message carries the same one, so a duplicate (a worker killed after the server
  accepted the mail, before it recorded so) is recognisable, as ``webhook-id`` is.
- **Permanent refusals** (an SMTP ``5xx`` for the recipient or the content, RFC 5321
  §4.2.1: "the client SHOULD NOT repeat the exact request") go to the dead letters at once;
  anything else (server down, a ``4xx``, a timeout, a refused login: the operator fixes
  the settings and the mail goes out) is retried like a webhook.
- **Settings** come from the environment (``SmtpSettings.from_env``), so the password is
  never on a command line; nothing here logs, and an error kept in the outbox names the
  SMTP code, never an address or a password.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from typing import Any

from quyche_rules.delivery import messages as m
from quyche_rules.delivery.subscriptions import ADDRESS, DeliveryError

SECURITY = ("starttls", "tls", "none")


@dataclass(frozen=True)
class SmtpSettings:
    """Where the worker sends e-mail. ``security``: ``starttls`` (the default: upgrade the
    connection, usually port 587), ``tls`` (TLS from the start, usually 465) or ``none``
    (a relay on the same host or a test server only)."""

    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "quyche-rules@localhost"
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> SmtpSettings | None:
        """From ``QUYCHE_SMTP_HOST`` (unset: no e-mail), ``_PORT``, ``_SECURITY``,
        ``_USER``, ``_PASSWORD``, ``_FROM``; a bad value is a ``DeliveryError`` naming
        the variable (never its value, which may be the password)."""
        env = os.environ if env is None else env
        host = env.get("QUYCHE_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("QUYCHE_SMTP_SECURITY", "starttls").strip().lower()
        if security not in SECURITY:
            raise DeliveryError(f"QUYCHE_SMTP_SECURITY: one of {', '.join(SECURITY)}")
        default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
        try:
            port = int(env.get("QUYCHE_SMTP_PORT", default_port))
        except ValueError:
            raise DeliveryError("QUYCHE_SMTP_PORT: a port number") from None
        if not 0 < port < 65536:
            raise DeliveryError("QUYCHE_SMTP_PORT: a port number 1-65535")
        sender = env.get("QUYCHE_SMTP_FROM", "quyche-rules@localhost").strip()
        if not ADDRESS.fullmatch(sender):
            raise DeliveryError("QUYCHE_SMTP_FROM: one plain e-mail address")
        return cls(
            host=host,
            port=port,
            security=security,
            username=env.get("QUYCHE_SMTP_USER") or None,
            password=env.get("QUYCHE_SMTP_PASSWORD") or None,
            sender=sender,
        )


def message_id_header(msg_id: str) -> str:
    """The e-mail's Message-ID: the outbox message's id, the same on every attempt."""
    return f"<{msg_id}@quyche-rules>"


def compose(
    msg_id: str, to: str, payload_json: str, settings: SmtpSettings, now: dt.datetime
) -> EmailMessage:
    """The e-mail of one outbox message: subject and text in Vietnamese first, English
    below; dates as people read them (dd/mm/yyyy)."""
    payload = json.loads(payload_json)
    mail = EmailMessage(policy=SMTP)
    mail["Message-ID"] = message_id_header(msg_id)
    mail["Date"] = format_datetime(now.astimezone(dt.UTC))
    mail["From"] = settings.sender
    mail["To"] = to
    mail["Subject"] = subject(payload)
    # RFC 3834: an automatic message (no out-of-office replies to it)
    mail["Auto-Submitted"] = "auto-generated"
    mail["Content-Language"] = "vi, en"
    mail["X-Quyche-Message-Id"] = msg_id
    mail.set_content(body(msg_id, payload), charset="utf-8")
    return mail


def _facts(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Reference, due date, provisional flag and state of a message, whichever its kind."""
    case = payload.get("case") or {}
    duty = payload.get("duty") or {}
    due = case.get("due") or duty.get("due")
    return {
        "reference": case.get("reference") or payload.get("reference") or "-",
        "due": m.vn_date(dt.date.fromisoformat(due)) if due else None,
        "provisional": bool(case.get("due_provisional") or duty.get("due_provisional")),
        "state": case.get("state"),
        "rule": case.get("rule_id") or duty.get("rule_id"),
        "case_id": payload.get("case_id"),
    }


_SUBJECT_VI = {
    m.NEW_OBLIGATION: ("Nghĩa vụ mới", "New obligation"),
    **m.CASE_TEXT,
}


def subject(payload: Mapping[str, Any]) -> str:
    """``[Phối hợp] Nhắc hạn: văn bản 12-CV/ĐUK, hạn 23/02/2026 / Reminder`` — what a
    clerk sorts an inbox by: what happened, which document, until when."""
    vi, en = _SUBJECT_VI.get(str(payload.get("type")), ("Thông báo", "Notice"))
    f = _facts(payload)
    due = f", hạn {f['due']}" + (" (tạm tính)" if f["provisional"] else "") if f["due"] else ""
    return f"[Phối hợp] {vi}: văn bản {f['reference']}{due} / {en}"


def body(msg_id: str, payload: Mapping[str, Any]) -> str:
    """The plain text: the message's Vietnamese sentence and its facts, then English."""
    f = _facts(payload)
    vi, en = _SUBJECT_VI.get(str(payload.get("type")), ("Thông báo", "Notice"))
    lines = [str(payload.get("text_vi", vi)), ""]
    lines.append(f"Văn bản: {f['reference']}")
    if f["due"]:
        lines.append(f"Hạn: {f['due']}" + (" (tạm tính: lịch nghỉ năm đó chưa công bố)"
                                           if f["provisional"] else ""))  # fmt: skip
    if f["rule"]:
        lines.append(f"Căn cứ: {f['rule']}")
    if f["case_id"]:
        lines.append(f"Mã hồ sơ: {f['case_id']}")
    due_en = ""
    if f["due"]:
        due_en = f", due {f['due']}" + (" (provisional)" if f["provisional"] else "")
    lines += [
        f"Mã thư: {msg_id} (thư gửi lại mang cùng mã này)",
        "",
        "Thư này do hệ thống quyche-rules gửi tự động; xin đừng trả lời thư này.",
        "",
        "-- English --",
        "",
        f"{en}: document {f['reference']}{due_en}",
    ]
    if f["state"]:
        lines.append(f"State: {f['state']}")
    lines += [
        f"Message id: {msg_id} (a message sent again carries the same id)",
        "Sent automatically by quyche-rules; please do not reply.",
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class MailFailure:
    """Why a mail was not accepted, and whether retrying can help."""

    error: str
    permanent: bool


def send(settings: SmtpSettings, mail: EmailMessage) -> MailFailure | None:
    """Hand one e-mail to the SMTP server; None when it accepted it."""
    try:
        if settings.security == "tls":
            ctx = ssl.create_default_context()
            server: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=ctx
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with server:
            if settings.security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if settings.username:
                server.login(settings.username, settings.password or "")
            server.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = sorted({code for code, _ in exc.recipients.values()})
        return MailFailure(f"SMTP {codes[0]}: recipient refused", codes[0] >= 500)
    except smtplib.SMTPDataError as exc:
        return MailFailure(f"SMTP {exc.smtp_code}: message refused", exc.smtp_code >= 500)
    except smtplib.SMTPResponseException as exc:  # sender refused, login refused, …
        return MailFailure(f"SMTP {exc.smtp_code}: {type(exc).__name__}", False)
    except TimeoutError:
        return MailFailure(f"SMTP timeout after {settings.timeout:g}s", False)
    except (OSError, smtplib.SMTPException) as exc:
        return MailFailure(f"SMTP {type(exc).__name__}", False)
    return None
