"""`bench/judgment.py` keeps working: a few situations with the offline narrator, the table and its summary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_judgment_bench_prints_its_table_for_the_offline_narrator() -> None:
    command = [sys.executable, "bench/judgment.py", "--offline", "--only", "climb", "for-bram", "line"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    wanted = {"climb", "for-bram", "line"}  # the table's rows, wherever a log line lands beside them
    cells = [line.split() for line in result.stdout.splitlines()]
    rows = {row[0]: row[1:] for row in cells if row and row[0] in wanted}
    assert set(rows) == {"climb", "for-bram", "line"}
    assert rows["climb"][:2] == ["no", "yes"]  # no markup shown; the engine rolled the climb's check
    assert "markup shown 0/3 (goal 0) · checks rolled 1/1" in result.stdout
