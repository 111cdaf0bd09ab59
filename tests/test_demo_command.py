"""The README's first command ends in `huoyuan demo`: it migrates, seeds, serves, stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HUOYUAN = Path(sys.executable).with_name("huoyuan")

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the demo runs on the embedded default (SQLite)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "DJANGO_"))}
    env["HUOYUAN_DATA_DIR"] = str(data_dir)
    return env


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own local server
        return response.status, response.read()


def test_demo_migrates_seeds_serves_and_stops(tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen(  # noqa: S603
            [str(HUOYUAN), "demo", "--port", str(port)],
            cwd=tmp_path,
            env=_env(tmp_path / "data"),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                try:
                    if _get(f"http://127.0.0.1:{port}/healthz")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.5)
                assert proc.poll() is None, log.read_text()
            else:
                pytest.fail("the demo did not come up in time:\n" + log.read_text())
            status, body = _get(f"http://127.0.0.1:{port}/api/products?page_size=1")
            assert status == 200
            assert json.loads(body)["count"] >= 950  # 1,000 seeded, about 3% left as drafts
            status, home = _get(f"http://127.0.0.1:{port}/")
            assert status == 200
            assert "产业带".encode() in home or b"Industrial belts" in home
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=30)
    printed = log.read_text()
    assert proc.returncode == 0, printed
    assert f"http://127.0.0.1:{port}/" in printed
    assert "supplier@demo.huoyuan.test" in printed
    assert "huoyuan-demo-2026" in printed
    assert (tmp_path / "data" / "huoyuan.sqlite3").exists()


def test_demo_refuses_a_bad_port_with_a_message(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [str(HUOYUAN), "demo", "--port", "70000"],
        cwd=tmp_path,
        env=_env(tmp_path / "data"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--port must be between 1 and 65535" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_bad_setting_stops_the_command_with_a_message_not_a_traceback(tmp_path: Path) -> None:
    env = _env(tmp_path / "data") | {"HUOYUAN_DEBUG": "maybe"}
    result = subprocess.run(  # noqa: S603
        [str(HUOYUAN), "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "HUOYUAN_DEBUG='maybe' is not a boolean" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_logins_are_printed_on_every_start_not_only_the_first(tmp_path: Path) -> None:
    env = _env(tmp_path / "data")
    command = [str(HUOYUAN), "manage", "seed_demo", "--suppliers", "2", "--products", "5"]
    subprocess.run(  # noqa: S603
        [str(HUOYUAN), "manage", "migrate", "-v", "0"], cwd=tmp_path, env=env, check=True
    )
    first = subprocess.run(  # noqa: S603
        command, cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout
    again = subprocess.run(  # noqa: S603
        command, cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout
    assert "Demo data created." in first
    assert "Demo data is already there" in again
    for output in (first, again):
        assert "Demo logins (password: huoyuan-demo-2026):" in output
        assert "supplier@demo.huoyuan.test" in output
        assert "operator@demo.huoyuan.test" in output
