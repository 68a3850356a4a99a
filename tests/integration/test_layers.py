"""The layer contracts (`[tool.importlinter]` in pyproject.toml) hold on the tree, and each one breaks when a
deliberately wrong import is added to a copy of the tree: `lint-imports` itself, on files, in a subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")
PACKAGES = ("bot", "cogs", "persistence")
# Modules of bot/ that are not production code: the local Discord, the test bed, and `dmbot play` (which cli.py
# imports only inside the play command).
NOT_PRODUCTION = {"bot.sandbox", "bot.testbed", "bot.play"}

# contract id -> (a module file, a wrong import to append to it, the import the report must name)
WRONG_IMPORTS = {
    "layers": ("bot/engine/dice.py", "import bot.ui.text", "bot.engine.dice -> bot.ui.text"),
    "engine-no-discord": ("bot/narrator/base.py", "import discord", "bot.narrator.base -> discord"),
    "persistence-alone": ("persistence/models.py", "import bot.engine.dice", "persistence.models -> bot.engine.dice"),
    "cogs-no-sql": ("cogs/dice.py", "import persistence.models", "cogs.dice -> persistence.models"),
    "cogs-independent": ("cogs/dice.py", "import cogs.help", "cogs.dice -> cogs.help"),
    "sandbox-wire-only": ("bot/sandbox/world.py", "import bot.engine.dice", "bot.sandbox.world -> bot.engine.dice"),
    "production-no-testbed": ("bot/services.py", "import bot.testbed.harness", "bot.services -> bot.testbed.harness"),
}


def contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    found: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return found


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the packages and pyproject.toml: lint-imports puts its working folder first on sys.path, so it
    analyses the copy, not the installed tree."""
    copy = tmp_path_factory.mktemp("layers")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, copy / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


@pytest.fixture
def wrong_import(tree: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Append the contract's wrong import to its module in the copy; put the module back afterwards."""
    relative, statement, expected = WRONG_IMPORTS[request.param]
    module = tree / relative
    original = module.read_text()
    module.write_text(f"{original}\n{statement}  # deliberately wrong\n")
    yield expected
    module.write_text(original)


def lint_imports(folder: Path, *contract_ids: str) -> subprocess.CompletedProcess[str]:
    chosen = [arg for contract_id in contract_ids for arg in ("--contract", contract_id)]
    command = [LINT_IMPORTS, "--no-logo", "--no-cache", *chosen]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=120)


def test_every_contract_has_a_wrong_import_that_breaks_it() -> None:
    missing = [c["id"] for c in contracts() if c.get("id") not in WRONG_IMPORTS]
    assert not missing, f"add a deliberately wrong import for {missing} to WRONG_IMPORTS"


def test_the_contracts_hold_on_the_tree(tree: Path) -> None:
    done = lint_imports(tree)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(contracts())} kept, 0 broken." in done.stdout


@pytest.mark.parametrize("wrong_import", [str(c["id"]) for c in contracts()], indirect=True)
def test_a_wrong_import_breaks_its_contract(tree: Path, wrong_import: str, request: pytest.FixtureRequest) -> None:
    contract_id = request.node.callspec.params["wrong_import"]
    done = lint_imports(tree, contract_id)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "BROKEN" in done.stdout
    assert wrong_import in done.stdout


def test_every_production_module_is_under_the_no_test_bed_contract() -> None:
    """A new module in bot/ is production code unless it is named in NOT_PRODUCTION: the contract must list it."""
    (contract,) = [c for c in contracts() if c["id"] == "production-no-testbed"]
    sources = contract["source_modules"]
    assert isinstance(sources, list)
    top_level = {f"bot.{path.stem}" for path in (ROOT / "bot").iterdir() if _is_module(path)} - {"bot.__init__"}
    unlisted = sorted(top_level - NOT_PRODUCTION - set(sources))
    assert not unlisted, f"list {unlisted} in the production-no-testbed contract's source_modules (pyproject.toml)"


def _is_module(path: Path) -> bool:
    return path.suffix == ".py" or (path.is_dir() and (path / "__init__.py").exists())
