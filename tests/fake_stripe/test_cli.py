"""`python -m fake_stripe` as a user runs it: a subprocess on a free port."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.fake_stripe.conftest import SSL
from tests.fake_stripe.sample import KEY, sample_data
from tests.servers import free_port


def test_cli_serves_the_data_file_with_mode_limits(tmp_path: Path) -> None:
    data = tmp_path / "data.json"
    data.write_text(json.dumps(sample_data()))
    port = free_port()
    args = ["--port", str(port), "--data", str(data), "--mode", "test", "--latency-ms", "1"]
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_stripe", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", verify=SSL) as http:
            deadline = time.monotonic() + 15
            while True:
                try:
                    config = http.get("/_fake/config").json()
                    break
                except httpx.TransportError:
                    assert process.poll() is None, process.communicate()
                    assert time.monotonic() < deadline, "fake_stripe did not start"
                    time.sleep(0.05)
            assert config["rate_limit_rps"] == 25.0
            assert config["search_rate_limit_rps"] == 20.0
            assert config["latency_ms"] == 1.0
            response = http.get("/v1/customers/cus_ada", headers={"Authorization": f"Bearer {KEY}"})
            assert response.status_code == 200 and response.json()["name"] == "Ada Lovelace"
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"http://127.0.0.1:{port}" in out


def test_cli_reports_a_bad_data_file_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    result = subprocess.run(
        [sys.executable, "-m", "fake_stripe", "--port", "1", "--data", str(missing)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.strip().startswith("fake_stripe: cannot read data file")
    assert "Traceback" not in result.stderr
