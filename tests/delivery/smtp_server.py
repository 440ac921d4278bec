"""A real SMTP server for the e-mail tests and the delivery benchmark (aiosmtpd on
127.0.0.1, a port chosen at construction, so a test can send to it before it listens)."""

from __future__ import annotations

import asyncio
import email
import socket
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from quyche_rules.delivery.mail import SmtpSettings, message_id_header

from .faults import Faults


@dataclass
class Inbox(Faults):
    """The aiosmtpd handler: keeps every mail it accepted; may refuse a recipient, and
    delays or refuses (451) the first messages by the shared fault plan (``Faults``)."""

    mails: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        wait, refuse = self.attempt()
        if refuse:
            return "451 4.3.0 try again later"
        mail = email.message_from_bytes(envelope.content, policy=default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(mail)
        await asyncio.sleep(wait)  # a late answer: the mail was accepted all the same
        return "250 2.0.0 accepted"

    def count(self, expected: set[str]) -> dict[str, int]:
        ids = [str(m["Message-ID"]) for m in self.mails]
        want = {message_id_header(i) for i in expected}
        return {
            "messages": len(expected),
            "received": len(ids),
            "duplicates": len(ids) - len(set(ids)),
            "lost": len(want - set(ids)),
            "unexpected": len(set(ids) - want),
        }


class Server:
    """An SMTP server on 127.0.0.1 at a port chosen now, started (and stopped) at will."""

    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def settings(self, timeout: float = 2.0) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=self.port, security="none",
                            sender="hethong@dangbokhoi.example.vn", timeout=timeout)  # fmt: skip
