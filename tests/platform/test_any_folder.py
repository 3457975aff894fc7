"""`dashloom up` as a new user runs it: from the clone's folder, then `dashloom` commands from any
other folder; Ctrl-C pressed in the terminal (SIGINT to the whole foreground process group) stops
it quietly, and a generation it interrupted is not lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from services.runtime.nats_server import free_port
from tests.platform.test_platform import everything_up, wait_for_health

NOISE = ("Traceback", "callback for Task", "KeyboardInterrupt", " ERROR ", " failed")
CSV = "month,sales\n" + "".join(f"2024-{month:02d}-01,{month * 10}\n" for month in range(1, 13))


def user_environment(xdg_state: Path, **settings: str) -> dict[str, str]:
    """A shell with no DASHLOOM_ setting but those given (the tests' own ones removed)."""
    kept = {name: value for name, value in os.environ.items() if not name.startswith("DASHLOOM_")}
    return {**kept, "XDG_STATE_HOME": str(xdg_state), **settings}


def dashloom(*args: str, cwd: Path, environment: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "services.platform", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=120)


def api_key_of(created: subprocess.CompletedProcess) -> str:
    assert created.returncode == 0, created.stderr
    return next(line.split(": ", 1)[1] for line in created.stdout.splitlines() if line.startswith("api_key: "))


def started_in(folder: Path, environment: dict[str, str], stderr: Path) -> subprocess.Popen:
    """`dashloom up` in a session of its own: the test is its terminal, and os.killpg its Ctrl-C."""
    return subprocess.Popen([sys.executable, "-m", "services.platform", "up"], cwd=folder, env=environment,
                            stdout=subprocess.DEVNULL, stderr=stderr.open("ab"), start_new_session=True)


def generation(port: int, key: str, generation_id: str) -> dict:
    answer = httpx.get(f"http://127.0.0.1:{port}/api/v1/generations/{generation_id}",
                       headers={"Authorization": f"Bearer {key}"}, timeout=10)
    return answer.json()["data"]


def test_the_cli_finds_the_platform_from_any_folder_and_ctrl_c_is_quiet(tmp_path):
    clone, elsewhere, port = tmp_path / "clone", tmp_path / "elsewhere", free_port()
    clone.mkdir()
    elsewhere.mkdir()
    environment = user_environment(tmp_path / "xdg", DASHLOOM_HTTP_PORT=str(port))
    log = tmp_path / "up.stderr"
    platform = started_in(clone, environment, log)
    try:
        wait_for_health(port, everything_up, timeout=120)
        key = api_key_of(dashloom("projects", "create", "--name", "Elsewhere", "--plan", "premium", cwd=elsewhere,
                                  environment=environment))
        assert not (elsewhere / ".dashloom").exists()
        status = dashloom("replay", "status", cwd=elsewhere, environment=environment)
        assert status.returncode == 0 and "generations" in status.stdout, status.stderr
        asked = httpx.post(f"http://127.0.0.1:{port}/api/v1/dashboards/generate",
                           headers={"Authorization": f"Bearer {key}", "Prefer": "respond-async"},
                           files={"file": ("sales.csv", CSV)}, data={"allow_pdf_export": "true"}, timeout=60)
        assert asked.status_code == 202, asked.text
        generation_id = asked.json()["data"]["generation_id"]
        deadline = time.monotonic() + 60  # Ctrl-C while the PDF is drawn, when the generation gets that far
        while generation(port, key, generation_id)["stage"] not in ("rendering", "done") and time.monotonic() < deadline:
            time.sleep(0.05)
        quiet_from = log.stat().st_size
        os.killpg(platform.pid, signal.SIGINT)
        assert platform.wait(60) == 0
    finally:
        if platform.poll() is None:
            os.killpg(platform.pid, signal.SIGKILL)
    after_ctrl_c = log.read_bytes()[quiet_from:].decode(errors="replace")
    assert not [noise for noise in NOISE if noise in after_ctrl_c], after_ctrl_c[-4000:]

    platform = started_in(clone, environment, log)  # the interrupted generation is finished, never failed
    try:
        wait_for_health(port, everything_up, timeout=120)
        deadline = time.monotonic() + 120
        while (answer := generation(port, key, generation_id))["status"] == "processing":
            assert time.monotonic() < deadline, answer
            time.sleep(0.2)
        assert answer["status"] == "completed", answer
    finally:
        os.killpg(platform.pid, signal.SIGINT)
        platform.wait(60)


def test_without_a_platform_the_cli_says_where_it_looked(tmp_path):
    result = dashloom("projects", "create", "--name", "Nowhere", cwd=tmp_path,
                      environment=user_environment(tmp_path / "xdg"))
    assert result.returncode != 0
    assert "no NATS URL in .dashloom" in result.stderr and "DASHLOOM_STATE_DIR" in result.stderr, result.stderr
