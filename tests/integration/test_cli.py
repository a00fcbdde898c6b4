"""The `stripe-gateway` command, run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.integration.conftest import TEST_KEY, FakeStripe
from tests.servers import free_port

CLI = [sys.executable, "-m", "stripe_gateway.cli"]


def run(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_export_schema_prints_the_sdl() -> None:
    result = run("export-schema")
    assert result.returncode == 0
    assert "type StripeMatch {" in result.stdout
    assert "enum MatchStepOutcome {" in result.stdout


def test_malformed_setting_stops_with_one_clear_line() -> None:
    result = run(
        "match",
        "--email",
        "a@b.example",
        env={"STRIPE_API_KEY": TEST_KEY, "STRIPE_MAX_NETWORK_RETRIES": "lots"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "STRIPE_MAX_NETWORK_RETRIES" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_key_stops_with_one_clear_line() -> None:
    result = run("match", "--email", "a@b.example", env={"STRIPE_API_KEY": ""})
    assert result.returncode == 2
    assert "STRIPE_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_match_prints_method_customer_and_trail(fake: FakeStripe, tmp_path: Path) -> None:
    env = {
        "STRIPE_API_KEY": TEST_KEY,
        "STRIPE_API_BASE": fake.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}",
    }
    result = run("match", "--email", "dup@dup.example", "--customer-id", "cus_gone", env=env)
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["method"] == "EMAIL"
    assert printed["customer"] == "cus_dup_live"
    assert printed["alternatives"] == ["cus_dup_new", "cus_dup_old"]
    assert [s["outcome"] for s in printed["trail"]] == ["DELETED", "MATCHED"]
    assert TEST_KEY not in result.stdout + result.stderr


def test_import_contacts_from_json_lines(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    source = tmp_path / "contacts.jsonl"
    source.write_text(
        '{"id": "1", "name": "One", "email": "one@one.example"}\n'
        '{"id": "2", "customData": {"stripeCustomerId": "cus_alpha"}}\n'
    )
    result = run("import-contacts", str(source), env={"DATABASE_URL": f"sqlite+aiosqlite:///{db}"})
    assert result.returncode == 0, result.stderr
    assert "imported 2 of 2 contacts" in result.stdout


def test_import_contacts_reports_refused_rows_and_keeps_the_rest(tmp_path: Path) -> None:
    db = tmp_path / "c.sqlite3"
    source = tmp_path / "contacts.json"
    source.write_text(
        json.dumps(
            {
                "contacts": [
                    {"id": "1", "email": "one@one.example"},
                    {"id": "2", "email": "x' OR email~'a"},
                    {"name": "no id"},
                ]
            }
        )
    )
    result = run("import-contacts", str(source), env={"DATABASE_URL": f"sqlite+aiosqlite:///{db}"})
    assert result.returncode == 1
    assert "imported 1 of 3 contacts" in result.stdout
    assert "contact 2 (2): email" in result.stderr
    assert "contact 3: needs an object" in result.stderr


def test_demo_serves_every_match_method(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        url = None
        while time.monotonic() < deadline and url is None:
            line = process.stdout.readline()
            if "GraphiQL at" in line:
                url = line.split("GraphiQL at", 1)[1].split()[0]
        assert url == f"http://127.0.0.1:{port}/graphql"
        response = httpx.post(
            url,
            json={
                "query": "{ contacts(first: 50) { edges { node { email stripeMatch { method alternatives { id } trail { outcome } } } } } }"
            },
            headers={"Authorization": "Bearer demo"},
            timeout=30,
        )
        nodes = [e["node"] for e in response.json()["data"]["contacts"]["edges"]]
        methods = {n["stripeMatch"]["method"] for n in nodes}
        assert methods == {"CUSTOMER_ID", "EMAIL", "DOMAIN", "NONE"}
        outcomes = {o["outcome"] for n in nodes for o in n["stripeMatch"]["trail"]}
        assert "SKIPPED_PUBLIC_DOMAIN" in outcomes
        assert any(
            n["stripeMatch"]["alternatives"] for n in nodes if n["stripeMatch"]["method"] == "EMAIL"
        )
    finally:
        process.terminate()
        process.wait(timeout=15)
