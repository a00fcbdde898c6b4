"""GraphiQL for browsers at GET /graphql: a page that loads only same-origin files.

The page has no inline script or style and is sent with a strict Content-Security-Policy;
GraphiQL, React and ReactDOM are vendored under `static/graphiql/` (see its README.md and
scripts/vendor-graphiql), so nothing is fetched from a CDN or any other host.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
STATIC_PATH = "/graphiql/static"

# GraphiQL's dialogs (settings, short keys) lock page scrolling by adding one <style> element
# (react-remove-scroll-bar). On this page, whose body has no margin and never scrolls, its
# text is always the same, so it is allowed by hash rather than by 'unsafe-inline'; any other
# inline style is refused. Blocking it would be harmless but logs a violation per dialog.
SCROLL_LOCK_STYLE_HASH = "'sha256-Y/huXlwoYkVyQlxwSVcCi1RCDGDCSVBzDt0hYP9qlTc='"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; "
    f"style-src 'self' {SCROLL_LOCK_STYLE_HASH}; connect-src 'self'; "
    "img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'"
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# Load order matters: React and ReactDOM are globals that graphiql.min.js expects.
SCRIPTS = ("react.production.min.js", "react-dom.production.min.js", "graphiql.min.js")
STYLESHEETS = ("graphiql.min.css", "gateway.css")
INIT_SCRIPT = "gateway.js"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GraphiQL · stripe-gateway</title>
<link rel="icon" href="data:,">
{links}
{scripts}
</head>
<body>
<div id="graphiql" data-endpoint="{endpoint}">Loading GraphiQL…</div>
</body>
</html>
"""


def render_page(endpoint: str, static_url: str) -> str:
    """The page's HTML: GraphiQL posting to `endpoint`, files under `static_url`."""
    links = "\n".join(
        f'<link rel="stylesheet" href="{escape(f"{static_url}/{name}")}">' for name in STYLESHEETS
    )
    scripts = "\n".join(
        f'<script src="{escape(f"{static_url}/{name}")}" defer></script>'
        for name in (*SCRIPTS, INIT_SCRIPT)
    )
    return PAGE.format(links=links, scripts=scripts, endpoint=escape(endpoint))


def graphiql_page(request: Request) -> HTMLResponse:
    """GraphiQL for the GraphQL endpoint at the request's own path."""
    root_path = request.scope.get("root_path", "")
    html = render_page(endpoint=request.url.path, static_url=f"{root_path}{STATIC_PATH}")
    return HTMLResponse(html, headers=PAGE_HEADERS)


def static_mount() -> Mount:
    """The page's files at STATIC_PATH, gzipped for browsers that accept it."""
    files = StaticFiles(directory=STATIC_DIR)
    return Mount(STATIC_PATH, app=GZipMiddleware(files), name="graphiql-static")
