"""Processes for the benchmarks: the fake Stripe and gateways under uvicorn, each its own
process on 127.0.0.1, and what is read from them (the fake's request log, GraphQL answers)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

GATEWAY_TOKEN = "bench-token-0123456789abcdef"
LIVE_KEY = "rk_live_benchmark0000000000"
TEST_KEY = "rk_test_benchmark0000000000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(url: str, process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


@contextmanager
def _process(args: list[str], env: Mapping[str, str], health: str, what: str) -> Iterator[None]:
    process = subprocess.Popen(args, env={**os.environ, **env})
    try:
        _wait_until_up(health, process, what)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class Fake:
    url: str

    def configure(self, **settings: Any) -> None:
        httpx.post(f"{self.url}/_fake/config", json=settings).raise_for_status()

    def clear(self) -> None:
        httpx.delete(f"{self.url}/_fake/requests").raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = httpx.get(f"{self.url}/_fake/requests", timeout=30).json()[
            "requests"
        ]
        return found


@contextmanager
def fake_stripe(data_file: Path, latency_ms: float, jitter_ms: float) -> Iterator[Fake]:
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "fake_stripe",
        "--port",
        str(port),
        "--data",
        str(data_file),
        "--latency-ms",
        str(latency_ms),
        "--jitter-ms",
        str(jitter_ms),
    ]
    url = f"http://127.0.0.1:{port}"
    with _process(args, {}, f"{url}/_fake/config", "the fake Stripe"):
        yield Fake(url)


@dataclass
class Gateway:
    url: str
    client: httpx.Client

    def post(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {GATEWAY_TOKEN}"},
        )
        body: dict[str, Any] = response.json()
        return body


def gateway_env(fake: Fake, database_url: str, **settings: Any) -> dict[str, str]:
    env = {
        "STRIPE_API_BASE": fake.url,
        "STRIPE_API_KEY": LIVE_KEY,
        "DATABASE_URL": database_url,
        "GATEWAY_API_TOKENS": GATEWAY_TOKEN,
    }
    env.update({k.upper(): str(v) for k, v in settings.items()})
    return env


def import_contacts(contacts: list[dict[str, Any]], database_url: str, workdir: Path) -> None:
    path = workdir / "contacts.json"
    path.write_text(json.dumps(contacts))
    subprocess.run(
        [sys.executable, "-m", "stripe_gateway.cli", "import-contacts", str(path)],
        env={**os.environ, "DATABASE_URL": database_url, "STRIPE_API_KEY": LIVE_KEY},
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextmanager
def gateway(fake: Fake, database_url: str, **settings: Any) -> Iterator[Gateway]:
    """A gateway process (uvicorn, one worker) with these settings (names as in Settings)."""
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "stripe_gateway.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    url = f"http://127.0.0.1:{port}"
    env = gateway_env(fake, database_url, **settings)
    with (
        _process(args, env, f"{url}/healthz", "a gateway"),
        httpx.Client(timeout=120) as client,
    ):
        yield Gateway(url, client)
