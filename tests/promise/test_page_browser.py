"""The public promise page in a real headless Chromium (Debian's chromium and chromium-driver,
driven by Selenium): it loads, shows the record, takes both forms and thanks; and it refuses
forgery, bots, floods and oversized posts, with its security headers on every answer.

Screenshots are kept under test-artifacts/promise-page/ (ignored by git); the path is printed.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import select

from bot.promise import ids
from localslack.demo import CHROMIUM_FLAGS
from storage.db import transaction
from storage.models import CustomerRating, RateCount
from tests.harness import Oneness
from tests.promise.conftest import (
    MUST,
    PLEDGE,
    REMEDY,
    Site,
    break_posts,
    breaks,
    page_on,
    page_row,
)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "promise-page"
FRIDAY = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    """A fresh headless Chromium with its own profile."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not chromedriver:
        missing = "no chromium or chromedriver: apt-get install -y chromium chromium-driver"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(missing)
        pytest.skip(missing)
    options = Options()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size=1100,1600")
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Iterator[Path]:
    """Where this test's screenshots go."""
    folder = ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    yield folder
    print(f"\nscreenshots: {folder}")


def wait_for(browser: WebDriver, fragment: str) -> None:
    """Until the address contains `fragment` (after a form's redirect)."""
    WebDriverWait(browser, 15).until(lambda b: fragment in b.current_url)


def body_text(browser: WebDriver) -> str:
    return browser.find_element(By.TAG_NAME, "body").text


def wait_text(browser: WebDriver, text: str) -> None:
    """Until the page shows `text` (the body is replaced while a form's answer loads)."""
    WebDriverWait(browser, 15, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: text in body_text(b)
    )


def _history(o: Oneness) -> None:
    """A kept week, then a week with a break the team reported, owned and delivered."""
    o.advance_to(FRIDAY)
    for user in ("UANN", "UBOB"):
        o.driver.click(user, o.prompt(user), ids.KEPT)
    o.settle()
    o.advance_to(FRIDAY + timedelta(weeks=1))
    o.slash("UCAT", "broke Acme waited three days", channel="CTEAM")
    o.driver.click("UBOB", break_posts(o)[0], ids.OWN)
    o.settle()
    [owner_dm] = [m for m in o.dms("UBOB") if "You own this remedy" in m.all_text()]
    o.driver.click("UBOB", owner_dm, ids.DELIVERED)
    o.settle()


def test_the_page_shows_the_record_and_takes_both_forms(
    promised: Oneness, site: Site, browser: WebDriver, shots: Path
) -> None:
    o = promised
    token = page_on(o)
    _history(o)
    browser.get(f"{site.base}/p/{token}")
    assert browser.title == "Our promise · Rocket"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Our promise to you"
    text = body_text(browser)
    assert PLEDGE in text and MUST in text and f"{REMEDY}, within 1 day" in text
    assert "Kept in 1 of the 2 weeks with answers, out of the last 12 weeks." in text
    assert "1 break reported by the team" in text and "0 breaks reported by customers" in text
    assert "Remedies delivered on time: 100% (1 of 1)" in text
    rows = browser.find_elements(By.CSS_SELECTOR, "table tbody tr")
    assert len(rows) == 12
    assert rows[0].text.split() == ["This", "week", "Broken", "1", "0"]
    assert rows[1].text.split()[-3:] == ["Kept", "0", "0"]
    assert rows[2].text.split()[-4:] == ["No", "answers", "0", "0"]
    for person in ("Lee", "Ann", "Bob", "Cat", "ULEAD", "UANN", "UBOB", "UCAT", "Acme"):
        assert not re.search(rf"\b{person}\b", text), person  # no names, no break texts
    # Plain HTML that works without JavaScript, styled by its own stylesheet under the CSP.
    assert browser.execute_script("return document.scripts.length") == 0
    assert (
        browser.execute_script("return getComputedStyle(document.querySelector('.hp')).position")
        == "absolute"
    )
    unlabelled = browser.execute_script(
        "return Array.from(document.querySelectorAll('input:not([type=hidden]), textarea'))"
        ".filter(e => !e.closest('.hp') && e.labels.length === 0).map(e => e.id)"
    )
    assert unlabelled == []
    browser.save_screenshot(str(shots / "1-page.png"))

    # "Did we break our promise to you?", filled in and sent from the keyboard.
    what = browser.find_element(By.ID, "what")
    what.send_keys("The reply took three days <script>alert(1)</script> <!channel>")
    contact = browser.find_element(By.ID, "contact")
    contact.send_keys("me@example.com")
    contact.send_keys(Keys.TAB, Keys.ENTER)  # the next stop is the form's button
    wait_for(browser, "/thanks")
    wait_text(browser, "Thank you for telling us")
    assert REMEDY in body_text(browser)
    browser.save_screenshot(str(shots / "2-thanks-break.png"))
    o.settle()
    row = breaks(o)[-1]
    assert (row.source, row.origin, row.reported_by, row.contact) == (
        "customer",
        "page",
        None,
        "me@example.com",
    )
    post = break_posts(o)[-1].all_text()
    assert "by a customer on the promise page" in post and "me@example.com" not in post
    assert "&lt;script&gt;" in post and "&lt;!channel&gt;" in post and "<!channel>" not in post

    # Back on the page the customer's break is counted apart from the team's.
    browser.find_element(By.LINK_TEXT, "Back to our promise").click()
    wait_text(browser, "1 break reported by customers")

    # "How did we do?"
    browser.find_element(By.CSS_SELECTOR, "label[for=score-4]").click()
    browser.find_element(By.ID, "comment").send_keys("Quick fix, thanks")
    browser.find_element(By.XPATH, "//button[text()='Send my rating']").click()
    wait_for(browser, "/thanks")
    wait_text(browser, "Thank you for rating us")
    browser.save_screenshot(str(shots / "3-thanks-rating.png"))
    with transaction(o.deps.sessions) as session:
        [rating] = list(session.scalars(select(CustomerRating)))
        assert (rating.source, rating.user_id, rating.score, rating.note) == (
            "customer",
            None,
            4,
            "Quick fix, thanks",
        )


def test_the_page_refuses_forgery_bots_floods_and_oversized_posts(
    promised: Oneness, site: Site, browser: WebDriver, shots: Path
) -> None:
    o = promised
    token = page_on(o)

    # Security headers on the page, the stylesheet, a 404 and a refusal alike.
    answers = [
        site.request("GET", f"/p/{token}"),
        site.request("GET", "/p/promise.css"),
        site.request("GET", "/p/" + "x" * 40),
        site.request("POST", f"/p/{token}/broke", b"what=x", {"Content-Type": "text/plain"}),
    ]
    assert [status for status, _, _ in answers] == [200, 200, 404, 400]
    for _status, headers, _body in answers:
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp
        assert "unsafe-inline" not in csp and "script-src" not in csp
        for name, value in SECURITY.items():
            assert headers[name] == value, name
    cookie_header = answers[0][1]["Set-Cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=Strict" in cookie_header

    # CSRF: a post whose cookie is gone (a form posted from another site) is refused.
    browser.get(f"{site.base}/p/{token}")
    browser.find_element(By.ID, "what").send_keys("Forged?")
    browser.delete_all_cookies()
    browser.find_element(By.XPATH, "//button[text()='Report a broken promise']").click()
    wait_text(browser, "Please reload")
    browser.save_screenshot(str(shots / "1-csrf-refused.png"))
    cookie, csrf = site.form(token)
    forged = site.post(token, "broke", {"csrf": csrf[:-4] + "0000", "what": "x"}, cookie)
    assert forged[0] == 403
    other_cookie, _ = site.form(token)
    assert site.post(token, "broke", {"csrf": csrf, "what": "x"}, other_cookie)[0] == 403
    assert breaks(o) == []

    # The honeypot: a bot that fills in the hidden field is thanked, and nothing is stored.
    browser.get(f"{site.base}/p/{token}")
    browser.execute_script("document.getElementById('broke-website').value = 'http://spam'")
    browser.find_element(By.ID, "what").send_keys("Buy cheap watches")
    browser.find_element(By.XPATH, "//button[text()='Report a broken promise']").click()
    wait_for(browser, "/thanks")
    wait_text(browser, "Thank you")
    assert breaks(o) == []

    # Bodies over 16 KB are refused from their length; fields are length-checked.
    big = b"what=" + b"a" * (17 * 1024)
    status, _, _ = site.request(
        "POST",
        f"/p/{token}/broke",
        big,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    assert status == 413
    # (From another address: this one has used 4 of its 5 posts on the refusals above.)
    fields = {"csrf": csrf, "what": "a" * 1001}
    status, _, html = site.post(token, "broke", fields, cookie, source="127.0.0.2")
    assert status == 400 and "At most 1,000 characters (1,001 now)" in html
    status, _, html = site.post(
        token, "rate", {"csrf": csrf, "score": "9"}, cookie, source="127.0.0.2"
    )
    assert status == 400 and "Choose a rating from 1 to 5" in html
    assert breaks(o) == []

    # A burst of 100 posts from one address stores the per-address limit and answers 429.
    def burst(n: int) -> tuple[int, dict[str, str]]:
        status, headers, _ = site.post(
            token, "broke", {"csrf": csrf, "what": f"flood {n}"}, cookie, source="127.0.0.50"
        )
        return status, headers

    with ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(burst, range(100)))
    statuses = [status for status, _ in results]
    assert statuses.count(303) == 5 and statuses.count(429) == 95
    assert all(h.get("Retry-After") for s, h in results if s == 429)
    o.settle()
    assert len(breaks(o)) == 5

    # The page's own limit holds across addresses: one post each from 40 more addresses.
    with transaction(o.deps.sessions) as session:
        counted = sum(
            r.count for r in session.scalars(select(RateCount)) if r.key.startswith("page:")
        )
    statuses = [
        site.post(token, "rate", {"csrf": csrf, "score": "3"}, cookie, source=f"127.0.1.{n}")[0]
        for n in range(1, 41)
    ]
    assert statuses.count(303) == 30 - counted and statuses.count(429) == 40 - (30 - counted)
    with transaction(o.deps.sessions) as session:
        assert len(list(session.scalars(select(CustomerRating)))) == 30 - counted

    # Rotating the link kills the old one at once.
    o.slash("ULEAD", "promise page rotate", channel="CTEAM")
    browser.get(f"{site.base}/p/{token}")
    assert "Page not found" in body_text(browser)
    browser.save_screenshot(str(shots / "2-old-link.png"))
    assert site.request("GET", f"/p/{page_row(o).token}")[0] == 200
