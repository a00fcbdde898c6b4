"""`stripe-gateway check-key`, and what `serve` refuses to start with: real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.integration.conftest import TEST_KEY, FakeStripe
from tests.servers import free_port

CLI = [sys.executable, "-m", "stripe_gateway.cli"]
TOKEN = "cli-token-0123456789abcdef0123456789"


def environment(**values: str) -> dict[str, str]:
    """The test process's environment without any gateway or Stripe setting, plus `values`."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GATEWAY_", "STRIPE_", "DATABASE_", "CACHE_"))
    }
    return {**clean, **values}


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=60, env=environment(**env)
    )


def test_check_key_probes_every_endpoint_once(fresh: FakeStripe) -> None:
    result = run("check-key", STRIPE_API_KEY=TEST_KEY, STRIPE_API_BASE=fresh.url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("key rk_test_...cret (restricted key, test mode)")
    for name in (
        "customers list",
        "customers search",
        "charges list",
        "charges search",
        "subscriptions list",
        "products list",
    ):
        assert any(line.split()[:3] == ["ok", *name.split()] for line in lines), name
    assert lines[-1] == "6 of 6 reads work"
    requests = fresh.requests()
    assert [(r["method"], r["path"]) for r in requests] == [
        ("GET", "/v1/customers"),
        ("GET", "/v1/customers/search"),
        ("GET", "/v1/charges"),
        ("GET", "/v1/charges/search"),
        ("GET", "/v1/subscriptions"),
        ("GET", "/v1/products"),
    ]
    assert all(r["query"]["limit"] == ["1"] for r in requests)
    assert TEST_KEY not in result.stdout + result.stderr


def test_check_key_names_each_missing_permission(fresh: FakeStripe) -> None:
    fresh.fault(path="/v1/charges", status=403)
    fresh.fault(path="/v1/products", status=403)
    result = run("check-key", STRIPE_API_KEY=TEST_KEY, STRIPE_API_BASE=fresh.url)
    assert result.returncode == 1
    out = result.stdout
    for line in out.splitlines():
        if "charges" in line:
            assert line.split()[0] == "DENIED"
            assert line.endswith("needs rak_charge_read (Charges: Read)")
        if "products list" in line:
            assert line.endswith("needs rak_product_read (Products: Read)")
    assert (
        "grant the key these permissions: Charges: Read (rak_charge_read), "
        "Products: Read (rak_product_read)"
    ) in out
    assert out.splitlines()[-1] == "3 of 6 reads work"
    assert TEST_KEY not in out + result.stderr


def test_check_key_stops_at_a_rejected_key(fresh: FakeStripe) -> None:
    fresh.fault(path="/v1/customers", status=401)
    result = run("check-key", STRIPE_API_KEY=TEST_KEY, STRIPE_API_BASE=fresh.url)
    assert result.returncode == 1
    assert "FAILED   customers list" in result.stdout
    assert "STRIPE_AUTH_FAILED" in result.stdout
    assert len(fresh.requests()) == 1


def test_check_key_warns_about_a_secret_key(fresh: FakeStripe) -> None:
    key = "sk_test_0123456789abcdefghijWXYZ"
    result = run("check-key", STRIPE_API_KEY=key, STRIPE_API_BASE=fresh.url)
    assert result.returncode == 0
    assert result.stdout.startswith("key sk_test_...WXYZ (secret key, test mode)")
    assert "warning: this is a secret key (sk_): it can write" in result.stderr
    assert key not in result.stdout + result.stderr


def test_check_key_without_search(fresh: FakeStripe) -> None:
    result = run(
        "check-key",
        STRIPE_API_KEY=TEST_KEY,
        STRIPE_API_BASE=fresh.url,
        STRIPE_SEARCH_ENABLED="false",
    )
    assert result.returncode == 0
    assert result.stdout.count("skipped") == 2
    assert result.stdout.splitlines()[-1] == "4 of 4 reads work"
    assert "/v1/customers/search" not in fresh.paths()


# What `serve` refuses


def test_serve_refuses_to_start_without_credentials(tmp_path: Path) -> None:
    result = run(
        "serve",
        "--port",
        str(free_port()),
        STRIPE_API_KEY=TEST_KEY,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}",
    )
    assert result.returncode == 2
    assert "no credentials configured" in result.stderr
    assert "GATEWAY_API_TOKENS" in result.stderr and "GATEWAY_AUTH=off" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_refuses_a_live_secret_key(tmp_path: Path) -> None:
    key = "sk_live_0123456789abcdefghijKLMN"
    result = run(
        "serve",
        "--port",
        str(free_port()),
        STRIPE_API_KEY=key,
        GATEWAY_API_TOKENS=TOKEN,
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}",
    )
    assert result.returncode == 2
    assert "sk_live_...KLMN is a live secret key" in result.stderr
    assert "STRIPE_ALLOW_SECRET_KEY=true" in result.stderr
    assert key not in result.stdout + result.stderr


def test_demo_refuses_another_host() -> None:
    result = run("serve", "--demo", "--host", "0.0.0.0")
    assert result.returncode == 2
    assert "127.0.0.1" in result.stderr


@contextmanager
def serving(tmp_path: Path, fake: FakeStripe, **env: str) -> Iterator[tuple[str, list[str]]]:
    """`stripe-gateway serve` in a subprocess; yields its URL and (later) its output lines."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [*CLI, "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            env=environment(
                STRIPE_API_BASE=fake.url,
                DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}",
                **env,
            ),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log.read_text()
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            lines: list[str] = []
            yield url, lines
        finally:
            process.terminate()
            process.wait(timeout=15)
            lines.extend(log.read_text().splitlines())


def test_serve_with_auth_off_starts_and_warns(tmp_path: Path, fake: FakeStripe) -> None:
    with serving(tmp_path, fake, STRIPE_API_KEY=TEST_KEY, GATEWAY_AUTH="off") as (url, lines):
        answer = httpx.post(f"{url}/graphql", json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}
    assert any("WARNING" in line and "GATEWAY_AUTH=off" in line for line in lines), lines


def test_serve_accepts_a_live_secret_key_only_when_allowed(
    tmp_path: Path, fake: FakeStripe
) -> None:
    key = "sk_live_0123456789abcdefghijOPQR"
    with serving(
        tmp_path,
        fake,
        STRIPE_API_KEY=key,
        STRIPE_ALLOW_SECRET_KEY="true",
        GATEWAY_API_TOKENS=TOKEN,
    ) as (url, lines):
        anonymous = httpx.post(f"{url}/graphql", json={"query": "{ __typename }"})
        assert anonymous.status_code == 401
        answer = httpx.post(
            f"{url}/graphql",
            json={"query": "{ __typename }"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert answer.status_code == 200
    assert any("sk_live_...OPQR is a secret key (sk_)" in line for line in lines), lines
    assert not any(key in line or TOKEN in line for line in lines)
