"""GraphiQL at GET /graphql in headless Chromium: it loads with no other host, under the
strict Content-Security-Policy, sends the bearer token from its Headers tab, and shows a
query's result from the fake Stripe."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from stripe_gateway import graphiql
from tests.conftest import skip_or_fail
from tests.integration.conftest import GatewayFactory

pytestmark = pytest.mark.chromium

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
QUERY = '{ stripeCustomer(id: "cus_alpha") { email name'

# Runs before the page's own scripts: keeps every CSP violation the page reports.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator[Any]:
    """A fresh headless Chromium profile, driven by Playwright."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        skip_or_fail("Playwright for Python is not installed (pip install -e '.[test]')")
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        skip_or_fail("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                tmp_path / "chromium-profile",
                executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                args=CHROMIUM_ARGS,
                headless=True,
            )
        except Error as exc:
            skip_or_fail(f"Chromium does not start: {str(exc).splitlines()[0]}")
        try:
            yield context
        finally:
            context.close()


def test_graphiql_runs_a_query_offline_under_the_csp(
    start_gateway: GatewayFactory, browser_context: Any
) -> None:
    from playwright.sync_api import expect

    with start_gateway() as gateway:
        origin = gateway.url
        token = gateway.token
        assert token, "test gateways require a bearer token: GraphiQL must work with one"
        page = browser_context.new_page()
        requests: list[Any] = []
        console: list[str] = []
        page_errors: list[str] = []
        page.on("request", lambda request: requests.append(request))
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: page_errors.append(str(error)))
        page.add_init_script(RECORD_CSP_VIOLATIONS)

        response = page.goto(f"{origin}/graphql")
        assert response is not None and response.status == 200
        assert response.headers["content-security-policy"] == graphiql.CONTENT_SECURITY_POLICY
        assert "script-src 'self';" in graphiql.CONTENT_SECURITY_POLICY
        assert "unsafe-inline" not in graphiql.CONTENT_SECURITY_POLICY

        # The bearer token, typed into GraphiQL's Headers tab.
        page.get_by_role("button", name="Headers", exact=True).click()
        page.locator(".graphiql-editor-tool .graphiql-editor:visible .CodeMirror").click()
        page.keyboard.insert_text(f'{{"Authorization": "Bearer {token}"}}')

        # The query, typed into the query editor (which closes brackets and quotes itself).
        page.locator(".graphiql-query-editor .CodeMirror").click()
        page.keyboard.press("Control+A")
        page.keyboard.press("Backspace")
        page.keyboard.type(QUERY)
        page.keyboard.press("Escape")  # close the completion list
        with page.expect_response(
            lambda r: r.url == f"{origin}/graphql" and r.request.method == "POST"
        ) as posted:
            page.locator(".graphiql-execute-button").click()
        assert posted.value.request.headers.get("authorization") == f"Bearer {token}"
        assert posted.value.status == 200, (posted.value.request.post_data, posted.value.text())

        result = page.locator(".graphiql-response")
        expect(result).to_contain_text('"email": "alpha@alpha.example"', timeout=15_000)
        expect(result).to_contain_text('"name": "Alpha"')

        # A dialog adds GraphiQL's one inline <style>, which the CSP allows by its hash.
        page.get_by_label("Open settings dialog").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_have_count(0)

        violations = page.evaluate("window.__cspViolations")
        blocked = [line for line in console if "Content Security Policy" in line]
        assert violations == [] and blocked == [], (violations, blocked)
        assert page_errors == []

        urls = [request.url for request in requests]
        assert f"{origin}/graphiql/static/graphiql.min.js" in urls
        for url in urls:
            parts = urlsplit(url)
            assert parts.scheme == "data" or (f"{parts.scheme}://{parts.netloc}" == origin), (
                f"request left the gateway: {url}"
            )

        # The CSP is enforced, and a violation would have been seen: an inline style is not.
        page.evaluate(
            "document.head.appendChild(document.createElement('style')).textContent ="
            " 'body { color: red }'"
        )
        page.wait_for_function("window.__cspViolations.length > 0")
        assert page.evaluate("window.__cspViolations")[0].startswith("style-src")
