"""The GraphiQL page over HTTP: strict CSP, no inline code, no other host, vendored files
served byte for byte and gzipped. (tests/e2e/test_graphiql_browser.py runs it in Chromium.)"""

from __future__ import annotations

import hashlib
import re

import httpx

from stripe_gateway import graphiql
from tests.integration.conftest import Gateway

HTML = {"Accept": "text/html"}


def page(gateway: Gateway) -> httpx.Response:
    return httpx.get(f"{gateway.url}/graphql", headers=HTML)


def test_page_has_the_strict_csp_and_security_headers(gateway: Gateway) -> None:
    response = page(gateway)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert csp == graphiql.CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_page_has_no_inline_code_and_names_no_other_host(gateway: Gateway) -> None:
    html = page(gateway).text
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.S)
    assert scripts and all(body == "" for body in scripts)
    assert len(re.findall(r'<script src="/graphiql/static/[\w.-]+\.js" defer>', html)) == 4
    assert "<style" not in html and "style=" not in html and " on" not in html.lower()
    assert "//" not in html.replace("<!doctype html>", "")
    assert 'data-endpoint="/graphql"' in html


def test_static_files_are_the_vendored_bytes(gateway: Gateway) -> None:
    sums = (graphiql.STATIC_DIR / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == 4
    for line in sums:
        digest, name = line.split()
        response = httpx.get(f"{gateway.url}{graphiql.STATIC_PATH}/{name}")
        assert response.status_code == 200, name
        assert hashlib.sha256(response.content).hexdigest() == digest, name


def test_static_files_are_gzipped_with_their_types(gateway: Gateway) -> None:
    js = httpx.get(f"{gateway.url}{graphiql.STATIC_PATH}/graphiql.min.js")
    assert js.headers["content-encoding"] == "gzip"
    assert js.headers["content-type"].startswith("text/javascript")
    css = httpx.get(f"{gateway.url}{graphiql.STATIC_PATH}/gateway.css")
    assert css.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{gateway.url}{graphiql.STATIC_PATH}/nothing.js").status_code == 404


def test_graphql_answers_non_browsers_as_before(gateway: Gateway) -> None:
    auth = {"Authorization": f"Bearer {gateway.token}"} if gateway.token else {}
    response = httpx.get(
        f"{gateway.url}/graphql", params={"query": "{ __typename }"}, headers=HTML | auth
    )
    assert response.json() == {"data": {"__typename": "Query"}}
    assert "content-security-policy" not in response.headers
