"""What the delivery tests' receivers do to the first deliveries they get: the one fault
plan shared by the webhook receiver (``receiver.py``) and the SMTP server
(``smtp_server.py``), so that "down, then 500s, then late" means the same on both."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field


@dataclass
class Faults:
    """Attempts are counted from 1 as they arrive: the first ``slow_first`` are answered
    after ``slow_seconds``; the next ``fail_first`` are refused (HTTP 500, SMTP 451);
    every later one is accepted."""

    fail_first: int = 0
    slow_first: int = 0
    slow_seconds: float = 0.0
    attempts: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attempt(self) -> tuple[float, bool]:
        """Count one attempt: (seconds to wait before answering it, whether to refuse it)."""
        with self._lock:
            self.attempts += 1
            n = self.attempts
        wait = self.slow_seconds if n <= self.slow_first else 0.0
        return wait, self.slow_first < n <= self.slow_first + self.fail_first
