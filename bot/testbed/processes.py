"""Private server processes for tests that stop and restart them without disturbing anyone else."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time


class RedisProcess:
    """A private redis-server we may flush, stop and restart without disturbing anyone."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=5)
            self._proc = None


class PostgresProcess:
    """A private PostgreSQL cluster in a temporary folder, on a free port, with trust auth.

    Needs the server binaries (Debian's postgresql package). As root, the cluster runs as the
    `postgres` user, since PostgreSQL refuses to run as root.
    """

    def __init__(self) -> None:
        # Its own folder under /tmp: the postgres user must be able to reach it (pytest's tmp_path
        # sits under a root-only folder).
        self.folder = tempfile.mkdtemp(prefix="dmbot-pg-")
        self.data = f"{self.folder}/data"
        self.port = _free_port()
        self.server_url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}"
        self.bin = _postgres_bin()

    def init(self) -> None:
        subprocess.run(["chmod", "0777", self.folder], check=True)
        self._as_postgres([f"{self.bin}/initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync"])

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._pg_ctl("start", "-w", "-o", options, "-l", f"{self.folder}/server.log")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("stop", "-w", "-m", mode)

    def remove(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)

    def _pg_ctl(self, *args: str) -> None:
        self._as_postgres([f"{self.bin}/pg_ctl", "-D", self.data, *args])

    def _as_postgres(self, command: list[str]) -> None:
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)


def _postgres_bin() -> str:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise FileNotFoundError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return found[-1].rsplit("/", 1)[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
