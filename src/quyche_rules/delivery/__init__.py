"""Delivery: duties reach the bodies that owe them, and every decision can be audited.

May import: tracker and everything below it. Modules:

- ``messages`` — kinds of message, their stable ids and payloads (Vietnamese first);
- ``subscriptions`` — a body's endpoints (webhook URLs, ``mailto:`` addresses) and what
  each wants to hear;
- ``outbox`` — messages written in the transaction of the record that causes them (the
  tracker store's ``on_append`` hook), and time-caused ones swept from the cases' fold;
- ``queue`` — claims that keep two workers off the same message, settling outcomes
  (back-off, dead letters), counts and re-driving;
- ``worker`` — POSTs signed per Standard Webhooks (or e-mails), retries, dead letters;
- ``mail`` — the same messages as plain Vietnamese e-mails over SMTP (stdlib);
- ``feeds`` — calendar feed tokens (stored hashed) and the subscribable iCalendar feed;
- ``audit`` — the hash chain over the service's decision log: append, verify, prune,
  export.

Tables: ``db.delivery_tables`` (revision 0005).
"""
