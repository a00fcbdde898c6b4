"""Run the Node side of the federation tests: the contacts subgraph, the composition script
and @apollo/gateway, from the packages pinned in tests/e2e/package-lock.json."""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import skip_or_fail

E2E = Path(__file__).parent
PACKAGES = (
    "@apollo/composition",
    "@apollo/gateway",
    "@apollo/server",
    "@apollo/subgraph",
    "graphql",
)
MIN_NODE = 20


def require_node() -> str:
    """The `node` executable, once Node and the pinned packages are there (else skip/fail)."""
    node = shutil.which("node")
    if node is None:
        skip_or_fail(f"Node.js (>= {MIN_NODE}) is not installed: the federation e2e tests need it")
        raise AssertionError("unreachable")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30)
    major = int(version.stdout.strip().lstrip("v").split(".")[0] or 0)
    if major < MIN_NODE:
        skip_or_fail(f"Node.js {version.stdout.strip()} is too old: need {MIN_NODE} or newer")
    missing = [p for p in PACKAGES if not (E2E / "node_modules" / p / "package.json").is_file()]
    if missing:
        skip_or_fail(
            f"npm packages missing in tests/e2e ({', '.join(missing)}): "
            "run `npm ci` there (scripts/test does when npm is installed)"
        )
    return node


@dataclass
class NodeProcess:
    """A long-running Node script that prints `ready <url>` once it serves."""

    process: subprocess.Popen[str]
    url: str
    output: list[str] = field(default_factory=list)


@contextmanager
def run_node(
    node: str, script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60
) -> Iterator[NodeProcess]:
    """Start `node script args...`, wait for its ready line, and stop it afterwards."""
    process = subprocess.Popen(
        [node, script, *args],
        cwd=E2E,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, **(env or {})},
    )
    lines: queue.Queue[str | None] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        url = _wait_ready(script, lines, output, timeout)
        yield NodeProcess(process, url, output)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_ready(
    script: str, lines: queue.Queue[str | None], output: list[str], timeout: float
) -> str:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RuntimeError(f"{script} did not start in {timeout}s:\n{''.join(output)}")
        try:
            line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"{script} exited before it was ready:\n{''.join(output)}")
        output.append(line)
        if line.startswith("ready "):
            return line.split(" ", 1)[1].strip()


def compose(
    node: str, *subgraphs: tuple[str, str], env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run compose.mjs over (name, URL or SDL file) pairs; the supergraph SDL is stdout."""
    return subprocess.run(
        [node, "compose.mjs", *(f"{name}={source}" for name, source in subgraphs)],
        cwd=E2E,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def write_contacts(path: Path, contacts: list[dict[str, object]]) -> Path:
    path.write_text(json.dumps(contacts), encoding="utf-8")
    return path
