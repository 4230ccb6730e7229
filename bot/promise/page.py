"""The public promise page: server-rendered HTML and a small stylesheet, no JavaScript.

A WSGI app for everything under `/p/`:

    GET  /p/promise.css            the stylesheet
    GET  /p/<token>                the promise, what the customer must do, the remedy, the record
    POST /p/<token>/broke          "Did we break our promise to you?" -> a break, source customer
    POST /p/<token>/rate           "How did we do?" -> a customer rating, source customer
    GET  /p/<token>/thanks         after either post (POST-redirect-GET)

Abuse and privacy, in one place:

- The token is 192 random bits (`secrets.token_urlsafe`); an unknown token, a page switched off
  and a rotated link all answer the same 404.
- Forms carry a CSRF token: an HMAC (key shared by every replica, stored once in the database)
  over the page token, a random nonce kept in a `SameSite=Strict` cookie, and the time; it
  lasts a day. A post without the cookie, with a forged or stale token, is refused with 403.
- A honeypot field, hidden from people by the stylesheet and from screen readers: a post
  that fills it in is thanked and dropped.
- Posts are counted per IP (5 per 10 minutes) and per page (30 an hour) in the database, one
  atomic UPDATE per key, so the limits hold across processes and replicas; beyond them, 429.
  IPs are never stored: their count is kept under an HMAC of the address.
- Bodies over 16 KB are refused with 413 from their Content-Length, before any of it is read.
  Every field is length-checked and escaped (`html.escape` here, `escape()` in Slack).
- Every answer carries a CSP without inline script or style, nosniff, no referrer, and
  frame-ancestors 'none' with X-Frame-Options DENY. No member names or scores are ever shown;
  a customer's contact reaches the team's leads only.
- Logs hold page and break ids only: never tokens, addresses or what people wrote.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape as h
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qs

from bot.platform.deps import Deps
from bot.promise import service
from bot.promise.rules import (
    COMMENT_LIMIT,
    CONTACT_LIMIT,
    WHAT_LIMIT,
    Limits,
    Record,
    Verdict,
    check_break,
    check_rating,
    clean,
    window_end,
    window_text,
)
from bot.schedule.calendar import week_monday
from storage import promise as store
from storage import teams as team_store
from storage.db import transaction
from storage.kinds import BreakOrigin, BreakSource, RatingSource
from storage.models import CustomerRating

log = logging.getLogger("oneness.page")

PREFIX = "/p/"
STYLESHEET_PATH = "/p/promise.css"
MAX_BODY = 16 * 1024
MAX_FIELDS = 16
COOKIE = "oneness_form"
CSRF_LIFETIME = timedelta(days=1)
SECRET_NAME = "promise_page_csrf"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
SECURITY_HEADERS = (
    (
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'",
    ),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
RATING_WORDS = {1: "Very poor", 2: "Poor", 3: "OK", 4: "Good", 5: "Excellent"}
VERDICT_WORDS = {Verdict.KEPT: "Kept", Verdict.BROKEN: "Broken", Verdict.UNKNOWN: "No answers"}

STYLESHEET = """\
:root { color-scheme: light; --ink: #1b1b1b; --muted: #4a4a4a; --line: #c9c9c9;
  --brand: #1a4d8f; --kept: #13622a; --broken: #a4161a; --focus: #f2a900; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink);
  font: 1.0625rem/1.55 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 46rem; margin: 0 auto; padding: 1.5rem 1rem 3rem; }
h1 { font-size: 2rem; margin: 0 0 1rem; line-height: 1.2; }
h2 { font-size: 1.35rem; margin: 2.25rem 0 .75rem; }
a { color: var(--brand); }
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible {
  outline: 3px solid var(--focus); outline-offset: 2px; }
.team { margin: 0; color: var(--muted); font-weight: 600; }
.pledge { margin: 0 0 1rem; padding: .75rem 1rem; border-left: .3rem solid var(--brand);
  background: #f3f6fb; font-size: 1.25rem; }
.pledge p { margin: 0; white-space: pre-line; }
dl.terms dt { font-weight: 700; margin-top: .5rem; }
dl.terms dd { margin: 0 0 .25rem; white-space: pre-line; }
.headline { font-size: 1.15rem; }
.totals { padding-left: 1.25rem; }
table { width: 100%; border-collapse: collapse; margin: 1rem 0; }
caption { text-align: left; font-weight: 700; padding-bottom: .5rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
td.num, th.num { text-align: right; }
tbody th { white-space: nowrap; }
.kept { color: var(--kept); font-weight: 700; }
.broken { color: var(--broken); font-weight: 700; }
.unknown { color: var(--muted); }
.source, .hint, footer { color: var(--muted); font-size: .95rem; }
form { margin: 0; }
label, legend { display: block; font-weight: 700; margin-bottom: .25rem; }
fieldset { border: 0; padding: 0; margin: 0 0 1rem; }
textarea, input[type=text] { width: 100%; padding: .5rem; border: 2px solid #6b6b6b;
  border-radius: .25rem; font: inherit; color: var(--ink); background: #fff; }
.field { margin: 0 0 1rem; }
.hint { display: block; margin-top: .25rem; }
.scale { display: flex; flex-wrap: wrap; gap: .5rem; }
.scale label { font-weight: 400; display: inline-flex; align-items: center; gap: .35rem;
  border: 2px solid #6b6b6b; border-radius: .25rem; padding: .35rem .6rem; }
button { font: inherit; font-weight: 700; color: #fff; background: var(--brand);
  border: 0; border-radius: .25rem; padding: .6rem 1.1rem; cursor: pointer; }
.errors { border: 2px solid var(--broken); padding: .5rem 1rem; margin-bottom: 1rem; }
.error { color: var(--broken); font-weight: 700; display: block; }
.skip, .hp { position: absolute; left: -10000px; top: auto; width: 1px; height: 1px;
  overflow: hidden; }
.skip:focus { position: static; width: auto; height: auto; }
.thanks { font-size: 1.15rem; }
"""


@dataclass(frozen=True)
class PageData:
    """Everything the page shows: plain values, no names, no scores."""

    token: str
    team_name: str
    pledge: str
    customer_must: str
    remedy: str
    remedy_hours: int
    record: Record


@dataclass
class Form:
    """What was typed into the page's forms, and what was wrong with it (re-shown on 400)."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    which: str = ""


# HTML


def _week_name(label: str, last: bool) -> str:
    return "This week" if last else week_monday(label).strftime("%-d %b %Y")


def _record_html(record: Record) -> str:
    weeks_with = record.kept_weeks + record.broken_weeks
    share = record.on_time_percent
    on_time = (
        f"Remedies delivered on time: <strong>{share}%</strong> "
        f"({record.on_time} of {record.decided})"
        if share is not None
        else "Remedies delivered on time: none were due yet"
    )
    rows = []
    for index, week in reversed(list(enumerate(record.weeks))):
        verdict = week.verdict
        css = {Verdict.KEPT: "kept", Verdict.BROKEN: "broken"}.get(verdict, "unknown")
        name = h(_week_name(week.week, index == len(record.weeks) - 1))
        rows.append(
            f'<tr><th scope="row">{name}</th><td class="{css}">{VERDICT_WORDS[verdict]}</td>'
            f'<td class="num">{week.team_breaks}</td>'
            f'<td class="num">{week.customer_breaks}</td></tr>\n'
        )
    return f"""<section aria-labelledby="record-h">
<h2 id="record-h">How often we kept it</h2>
<p class="headline">Kept in <strong>{record.kept_weeks}</strong> of the
{weeks_with} week{"s" if weeks_with != 1 else ""} with answers, out of the last
{len(record.weeks)} weeks.</p>
<ul class="totals">
<li><strong>{record.team_breaks}</strong> break{"s" if record.team_breaks != 1 else ""}
reported by the team</li>
<li><strong>{record.customer_breaks}</strong> break{"s" if record.customer_breaks != 1 else ""}
reported by customers</li>
<li>{on_time}</li>
</ul>
<table>
<caption>The last {len(record.weeks)} weeks, newest first</caption>
<thead><tr><th scope="col">Week of</th><th scope="col">Our promise</th>
<th scope="col" class="num">Breaks reported by the team</th>
<th scope="col" class="num">Breaks reported by customers</th></tr></thead>
<tbody>
{"".join(rows)}
</tbody>
</table>
<p class="source">These figures come straight from the team's own weekly answers (“did we keep
our promise this week?”) and from every break reported, by the team or by customers on this
page, as they arrive. A week counts as broken when anyone said so or a break was reported in it.
No names or individual scores are ever shown.</p>
</section>"""


def _errors_html(form: Form, which: str, labels: Mapping[str, str]) -> str:
    if form.which != which or not form.errors:
        return ""
    items = "".join(
        f'<li><a href="#{h(name)}">{h(labels.get(name, name))}: {h(message)}</a></li>'
        for name, message in form.errors.items()
    )
    return f'<div class="errors" role="alert"><p>Please check the form:</p><ul>{items}</ul></div>'


def _error(form: Form, which: str, name: str) -> tuple[str, str]:
    """(an error line, the aria-describedby id to add) for one field."""
    if form.which != which or name not in form.errors:
        return "", ""
    return (
        f'<span class="error" id="{name}-error">{h(form.errors[name])}</span>',
        f" {name}-error",
    )


def _honeypot(prefix: str) -> str:
    return (
        f'<div class="hp" aria-hidden="true"><label for="{prefix}-website">Leave this empty'
        f'</label><input type="text" id="{prefix}-website" name="website" tabindex="-1" '
        'autocomplete="off"></div>'
    )


def render_page(data: PageData, csrf: str, form: Form | None = None) -> str:
    """The whole page; every value that came from a person is escaped."""
    form = form or Form()
    values = form.values if form.which else {}
    base = f"{PREFIX}{h(data.token)}"
    what_error, what_aria = _error(form, "broke", "what")
    contact_error, contact_aria = _error(form, "broke", "contact")
    score_error, score_aria = _error(form, "rate", "score")
    comment_error, comment_aria = _error(form, "rate", "comment")
    chosen = values.get("score", "") if form.which == "rate" else ""
    scale = "".join(
        f'<label for="score-{n}"><input type="radio" id="score-{n}" name="score" value="{n}" '
        f"required{' checked' if chosen == str(n) else ''}>{n} · {word}</label>"
        for n, word in RATING_WORDS.items()
    )
    broke_values = values if form.which == "broke" else {}
    rate_values = values if form.which == "rate" else {}
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Our promise · {h(data.team_name)}</title>
<link rel="stylesheet" href="{STYLESHEET_PATH}">
</head>
<body>
<a class="skip" href="#report">Skip to “Did we break our promise to you?”</a>
<main>
<header>
<p class="team">{h(data.team_name)}</p>
<h1>Our promise to you</h1>
</header>
<section aria-labelledby="promise-h">
<h2 id="promise-h">What you can count on</h2>
<blockquote class="pledge"><p>{h(data.pledge)}</p></blockquote>
<dl class="terms">
<dt>For it to apply, we ask you to</dt>
<dd>{h(data.customer_must)}</dd>
<dt>If we break it, we will</dt>
<dd>{h(data.remedy)}, within {window_text(data.remedy_hours)} of hearing of it.</dd>
</dl>
</section>
{_record_html(data.record)}
<section id="report" aria-labelledby="report-h">
<h2 id="report-h">Did we break our promise to you?</h2>
{_errors_html(form, "broke", {"what": "What happened", "contact": "How to reach you"})}
<form method="post" action="{base}/broke">
<input type="hidden" name="csrf" value="{h(csrf)}">
{_honeypot("broke")}
<div class="field">
<label for="what">What happened? (required)</label>
<textarea id="what" name="what" rows="5" maxlength="{WHAT_LIMIT}" required
aria-describedby="what-hint{what_aria}">{h(broke_values.get("what", ""))}</textarea>
<span class="hint" id="what-hint">At most {WHAT_LIMIT:,} characters. The team sees this;
please leave out anything private.</span>{what_error}
</div>
<div class="field">
<label for="contact">How can we reach you? (optional)</label>
<input type="text" id="contact" name="contact" maxlength="{CONTACT_LIMIT}" autocomplete="email"
aria-describedby="contact-hint{contact_aria}" value="{h(broke_values.get("contact", ""))}">
<span class="hint" id="contact-hint">Only the team's leads see this, and they delete it when you
ask.</span>{contact_error}
</div>
<button type="submit">Report a broken promise</button>
</form>
</section>
<section id="rate" aria-labelledby="rate-h">
<h2 id="rate-h">How did we do?</h2>
{_errors_html(form, "rate", {"score": "Your rating", "comment": "Anything to add"})}
<form method="post" action="{base}/rate">
<input type="hidden" name="csrf" value="{h(csrf)}">
{_honeypot("rate")}
<fieldset aria-describedby="score-hint{score_aria}">
<legend>Your rating, from 1 (very poor) to 5 (excellent) (required)</legend>
<div class="scale" id="score">{scale}</div>
<span class="hint" id="score-hint">The team sets it beside how they rated themselves.</span>
{score_error}
</fieldset>
<div class="field">
<label for="comment">Anything to add? (optional)</label>
<textarea id="comment" name="comment" rows="3" maxlength="{COMMENT_LIMIT}"
aria-describedby="comment-hint{comment_aria}">{h(rate_values.get("comment", ""))}</textarea>
<span class="hint" id="comment-hint">At most {COMMENT_LIMIT} characters.</span>{comment_error}
</div>
<button type="submit">Send my rating</button>
</form>
</section>
<footer>
<p>Privacy: we keep what you write here, and your contact if you give it, for this team only.
Contact details are seen by the team's leads alone. One cookie protects these forms from forgery;
nothing tracks you.</p>
</footer>
</main>
</body>
</html>
"""


def render_thanks(data: PageData, sent: str) -> str:
    """After a post: what happens next, and the way back."""
    if sent == "rating":
        message = "Thank you for rating us. The team sets your rating beside their own."
    else:
        message = (
            "Thank you for telling us. The team has been told, and one of them will own the "
            f"remedy: {h(data.remedy)}, within {window_text(data.remedy_hours)}."
        )
    return _small_page(
        f"Thank you · {h(data.team_name)}",
        f'<p class="team">{h(data.team_name)}</p><h1>Thank you</h1>'
        f'<p class="thanks">{message}</p><p><a href="{PREFIX}{h(data.token)}">Back to our '
        "promise</a></p>",
    )


def _small_page(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="robots" content="noindex">\n<title>{title}</title>\n'
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}">\n</head>\n'
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


NOT_FOUND = _small_page(
    "Not found",
    "<h1>Page not found</h1><p>This promise page does not exist, is switched off, or its link "
    "was replaced by a new one. Ask the team for the current link.</p>",
)
TOO_MANY = _small_page(
    "Please wait",
    "<h1>Please wait a little</h1><p>We received many messages from here just now. Please try "
    "again in a few minutes; nothing you sent was lost if you saw our thanks.</p>",
)
TOO_LARGE = _small_page(
    "Too long",
    "<h1>That was too long</h1><p>Please go back and shorten what you wrote.</p>",
)
FORBIDDEN = _small_page(
    "Please reload",
    "<h1>Please reload the page</h1><p>This form has expired, or your browser did not send it "
    "from our page. Go back, reload the page and send it again.</p>",
)
BAD_REQUEST = _small_page(
    "Bad request", "<h1>We could not read that</h1><p>Please go back and try again.</p>"
)


# the WSGI app


Start = Any  # WSGI start_response


class PromisePage:
    """The public page for every team whose page is on; a WSGI app for paths under /p/."""

    def __init__(self, deps: Deps, limits: Limits | None = None) -> None:
        self.deps = deps
        self.limits = limits or Limits()
        self._key: bytes | None = None
        self._secure = (deps.settings.public_url or "").startswith("https://")

    # plumbing

    def _respond(
        self,
        start_response: Start,
        status: str,
        body: str | bytes,
        *,
        content_type: str = "text/html; charset=utf-8",
        extra: Iterable[tuple[str, str]] = (),
        head: bool = False,
        cache: str = "no-store",
    ) -> list[bytes]:
        data = body.encode() if isinstance(body, str) else body
        headers = [
            ("Content-Type", content_type),
            ("Content-Length", str(len(data))),
            ("Cache-Control", cache),
            *SECURITY_HEADERS,
            *extra,
        ]
        start_response(status, headers)
        return [] if head else [data]

    def key(self) -> bytes:
        """The CSRF and address-hashing key every replica shares, made once and cached."""
        if self._key is None:
            with transaction(self.deps.sessions) as session:
                value = store.secret(session, SECRET_NAME)
                if value is None:
                    value = store.add_secret(
                        session, SECRET_NAME, secrets.token_urlsafe(48), self.deps.clock.now()
                    )
            self._key = value.encode()
        return self._key

    def _mac(self, message: str) -> str:
        return hmac.new(self.key(), message.encode(), hashlib.sha256).hexdigest()

    def csrf_token(self, token: str, nonce: str, now: datetime) -> str:
        """A form token bound to the page, the browser's nonce and the time."""
        stamp = int(now.timestamp())
        return f"{stamp}.{self._mac(f'csrf|{token}|{nonce}|{stamp}')}"

    def csrf_ok(self, token: str, nonce: str | None, value: str, now: datetime) -> bool:
        """True for a token this server issued to this browser for this page within a day."""
        stamp_text, _, mac = value.partition(".")
        if not nonce or not stamp_text.isdigit() or not mac:
            return False
        stamp = int(stamp_text)
        age = now.timestamp() - stamp
        if not -60 <= age <= CSRF_LIFETIME.total_seconds():
            return False
        return hmac.compare_digest(mac, self._mac(f"csrf|{token}|{nonce}|{stamp}"))

    def __call__(self, environ: dict[str, Any], start_response: Start) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        head = method == "HEAD"
        if path == STYLESHEET_PATH and method in ("GET", "HEAD"):
            return self._respond(
                start_response,
                "200 OK",
                STYLESHEET,
                content_type="text/css; charset=utf-8",
                head=head,
                cache="public, max-age=3600",
            )
        parts = path[len(PREFIX) :].split("/") if path.startswith(PREFIX) else []
        if not parts or not TOKEN.match(parts[0]) or len(parts) > 2:
            return self._respond(start_response, "404 Not Found", NOT_FOUND, head=head)
        token, action = parts[0], (parts[1] if len(parts) == 2 else "")
        if method in ("GET", "HEAD") and action in ("", "thanks"):
            return self._get(environ, start_response, token, action, head)
        if method == "POST" and action in ("broke", "rate"):
            return self._post(environ, start_response, token, action)
        if action in ("", "thanks", "broke", "rate"):
            allow = "POST" if action in ("broke", "rate") else "GET, HEAD"
            return self._respond(
                start_response, "405 Method Not Allowed", BAD_REQUEST, extra=[("Allow", allow)]
            )
        return self._respond(start_response, "404 Not Found", NOT_FOUND, head=head)

    # reading

    def page_data(self, token: str) -> PageData | None:
        """The page behind a token, or None when there is none (or it is off)."""
        now = self.deps.clock.now()
        with transaction(self.deps.sessions) as session:
            target = store.page_by_token(session, token)
            if target is None:
                return None
            current = store.current_promise(session, target.team_id)
            if current is None:
                return None
            record = service.team_record(session, target.team_id, target.timezone, now)
            return PageData(
                token=token,
                team_name=target.team_name,
                pledge=current.pledge,
                customer_must=current.customer_must,
                remedy=current.remedy,
                remedy_hours=current.remedy_hours,
                record=record,
            )

    def _nonce(self, environ: dict[str, Any]) -> str | None:
        try:
            cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
        except CookieError:
            return None
        morsel = cookie.get(COOKIE)
        return morsel.value if morsel is not None and NONCE.match(morsel.value) else None

    def _cookie(self, nonce: str) -> tuple[str, str]:
        secure = "; Secure" if self._secure else ""
        return (
            "Set-Cookie",
            f"{COOKIE}={nonce}; Path={PREFIX}; Max-Age={int(CSRF_LIFETIME.total_seconds())}; "
            f"HttpOnly; SameSite=Strict{secure}",
        )

    def _show(
        self,
        environ: dict[str, Any],
        start_response: Start,
        data: PageData,
        *,
        status: str = "200 OK",
        form: Form | None = None,
        head: bool = False,
    ) -> list[bytes]:
        nonce = self._nonce(environ)
        extra = []
        if nonce is None:
            nonce = secrets.token_urlsafe(18)
            extra.append(self._cookie(nonce))
        csrf = self.csrf_token(data.token, nonce, self.deps.clock.now())
        return self._respond(
            start_response, status, render_page(data, csrf, form), extra=extra, head=head
        )

    def _get(
        self, environ: dict[str, Any], start_response: Start, token: str, action: str, head: bool
    ) -> list[bytes]:
        data = self.page_data(token)
        if data is None:
            return self._respond(start_response, "404 Not Found", NOT_FOUND, head=head)
        if action == "thanks":
            sent = parse_qs(environ.get("QUERY_STRING", "")).get("sent", [""])[0]
            return self._respond(start_response, "200 OK", render_thanks(data, sent), head=head)
        return self._show(environ, start_response, data, head=head)

    # posting

    def _body(self, environ: dict[str, Any]) -> dict[str, str] | int:
        """The posted fields, or the HTTP status to answer with."""
        length_text = environ.get("CONTENT_LENGTH") or ""
        if length_text and not length_text.isdigit():
            return 400
        if length_text and int(length_text) > MAX_BODY:
            return 413  # refused before a byte of it is read
        kind = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            return 400
        stream = environ["wsgi.input"]
        raw = stream.read(int(length_text)) if length_text else stream.read(MAX_BODY + 1)
        if len(raw) > MAX_BODY:
            return 413
        try:
            fields = parse_qs(
                raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FIELDS
            )
        except ValueError:  # not UTF-8, or too many fields
            return 400
        return {name: values[0] for name, values in fields.items()}

    def _allowed(self, environ: dict[str, Any], page_id: int) -> bool:
        """Count the post against its address and its page; False beyond either limit."""
        now = self.deps.clock.now()
        limits = self.limits
        address = self._mac(f"ip|{environ.get('REMOTE_ADDR', '')}")[:32]
        ip_end = window_end(now, limits.ip_window)
        page_end = window_end(now, limits.page_window)
        with transaction(self.deps.sessions) as session:
            ip_ok = store.count_hit(
                session, f"ip:{address}:{int(ip_end.timestamp())}", limits.per_ip, ip_end
            )
            page_ok = ip_ok and store.count_hit(
                session, f"page:{page_id}:{int(page_end.timestamp())}", limits.per_page, page_end
            )
        return page_ok

    def _post(
        self, environ: dict[str, Any], start_response: Start, token: str, action: str
    ) -> list[bytes]:
        with transaction(self.deps.sessions) as session:
            target = store.page_by_token(session, token)
        if target is None:
            return self._respond(start_response, "404 Not Found", NOT_FOUND)
        fields = self._body(environ)
        if fields == 413:
            return self._respond(start_response, "413 Request Entity Too Large", TOO_LARGE)
        if isinstance(fields, int):
            return self._respond(start_response, "400 Bad Request", BAD_REQUEST)
        if not self._allowed(environ, target.page_id):
            log.info("promise page %s: post refused by the rate limit", target.page_id)
            return self._respond(
                start_response, "429 Too Many Requests", TOO_MANY, extra=[("Retry-After", "600")]
            )
        now = self.deps.clock.now()
        if not self.csrf_ok(token, self._nonce(environ), fields.get("csrf", ""), now):
            log.info("promise page %s: post refused, CSRF token invalid", target.page_id)
            return self._respond(start_response, "403 Forbidden", FORBIDDEN)
        sent = "break" if action == "broke" else "rating"
        thanks = [("Location", f"{PREFIX}{token}/thanks?sent={sent}")]
        if fields.get("website"):
            log.info("promise page %s: honeypot filled; dropped", target.page_id)
            return self._respond(start_response, "303 See Other", b"", extra=thanks)
        form = (
            self._report(target.team_id, fields, now)
            if action == "broke"
            else self._rate(target.team_id, fields, now)
        )
        if form.errors:
            data = self.page_data(token)
            if data is None:
                return self._respond(start_response, "404 Not Found", NOT_FOUND)
            return self._show(environ, start_response, data, status="400 Bad Request", form=form)
        return self._respond(start_response, "303 See Other", b"", extra=thanks)

    def _report(self, team_id: int, fields: Mapping[str, str], now: datetime) -> Form:
        what, contact = clean(fields.get("what")), clean(fields.get("contact"))
        form = Form({"what": what, "contact": contact}, check_break(what, contact), "broke")
        if form.errors:
            return form
        with transaction(self.deps.sessions) as session:
            team = team_store.team_by_id(session, team_id)
            if team is None:
                form.errors["what"] = "This team no longer exists."
                return form
            break_id = service.report_break(
                session,
                team,
                source=BreakSource.CUSTOMER,
                origin=BreakOrigin.PAGE,
                reported_by=None,
                what=what,
                contact=contact or None,
                now=now,
            )
        # Stored first: should this post fail, the next tick posts it (promise_due_work).
        self.deps.executor.submit(_post_quietly, self.deps, break_id)
        return form

    def _rate(self, team_id: int, fields: Mapping[str, str], now: datetime) -> Form:
        score_text, comment = clean(fields.get("score")), clean(fields.get("comment"))
        score, errors = check_rating(score_text, comment)
        form = Form({"score": score_text, "comment": comment}, errors, "rate")
        if errors or score is None:
            return form
        with transaction(self.deps.sessions) as session:
            team_store.add_rating(
                session,
                CustomerRating(
                    team_id=team_id,
                    user_id=None,
                    score=score,
                    note=comment,
                    logged_by="",
                    created_at=now,
                    source=RatingSource.CUSTOMER,
                ),
            )
        log.info("customer rating for team %s from its promise page", team_id)
        return form


def _post_quietly(deps: Deps, break_id: int) -> None:
    """Post a customer's break after the answer; a failure waits for the tick to retry it."""
    try:
        service.post_break(deps, break_id)
    except Exception:  # the break is stored; promise_due_work posts it at the next tick
        log.exception("posting break %s failed; the next tick retries", break_id)
