"""A real model with no key and no network: llama.cpp (the ``xllamacpp`` wheel) in a child process the bot owns.

``NARRATOR=local`` with ``LOCAL_MODEL_PATH`` pointing at a GGUF file starts this server on a free loopback port
at the first turn and talks to it through the same ``OpenAINarrator`` as any hosted model, so streaming, tool
calls written as text, timeouts and the fallback to the offline narrator all work as they do there. The child
reads its standard input and exits when it closes, so it never outlives the bot.

Run by hand: ``python -m bot.narrator.local_server --model model.gguf --port 8091``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from bot.narrator.base import NarratorEvent, NarratorUnavailable, ToolSpec
from bot.narrator.openai_narrator import OpenAINarrator

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["LocalModelServer", "LocalNarrator"]

LOAD_TIMEOUT_SECONDS = 120.0  # reading a 1 GB model from a cold disk on a small machine


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalModelServer:
    """The child process and its address; ``start`` returns once the model is loaded and answering."""

    def __init__(self, model_path: Path, *, context_tokens: int, threads: int | None = None) -> None:
        self.model_path = model_path
        self.context_tokens = context_tokens
        self.threads = threads
        self.port = _free_port()
        self._process: asyncio.subprocess.Process | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        if not self.model_path.is_file():
            raise NarratorUnavailable("unreachable", detail=f"no model file at {self.model_path}")
        arguments = ["--model", str(self.model_path), "--port", str(self.port), "--ctx", str(self.context_tokens)]
        if self.threads:
            arguments += ["--threads", str(self.threads)]
        self._process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot.narrator.local_server", *arguments),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await self._wait_until_ready()

    async def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + LOAD_TIMEOUT_SECONDS
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self._process is not None and self._process.returncode is not None:
                    raise NarratorUnavailable("unreachable", detail="the local model server exited while loading")
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(f"http://127.0.0.1:{self.port}/health", timeout=aiohttp.ClientTimeout(2)) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.25)
        await self.stop()
        raise NarratorUnavailable("timeout", detail=f"the local model did not load in {LOAD_TIMEOUT_SECONDS:.0f} s")

    async def context_window(self) -> int | None:
        """``n_ctx`` as llama.cpp's ``/props`` reports it."""
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{self.port}/props") as response:
            props = await response.json()
        value = (props.get("default_generation_settings") or {}).get("n_ctx")
        return int(value) if value else None

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()  # the child's signal to leave
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


class LocalNarrator:
    """``OpenAINarrator`` on a model the bot runs itself; the server starts with the first turn."""

    name = "local"
    structured = True  # llama.cpp compiles response_format's schema into a grammar

    def __init__(self, server: LocalModelServer, narrator: OpenAINarrator) -> None:
        self.server = server
        self.narrator = narrator
        self.model = narrator.model
        self._started = asyncio.Lock()
        self._running = False

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalNarrator:
        assert settings.local_model_path is not None  # the settings refuse NARRATOR=local without it
        server = LocalModelServer(
            settings.local_model_path,
            context_tokens=settings.local_model_context_tokens,
            threads=settings.local_model_threads,
        )
        overrides = {
            "openai_base_url": server.base_url,
            "openai_model": settings.local_model_path.stem,
            "openai_timeout_seconds": settings.local_model_timeout_seconds,
            "openai_max_retries": 0,  # a retry would only queue behind the same slow CPU
        }
        return cls(server, OpenAINarrator.from_settings(settings.model_copy(update=overrides)))

    async def _ensure_running(self) -> None:
        async with self._started:
            if not self._running:
                await self.server.start()
                self._running = True

    async def stream(
        self,
        messages: list[dict[str, Any]],
        tools: list[ToolSpec],
        *,
        max_tokens: int | None = None,
        response_format: dict[str, Any] | None = None,
        raw_text: bool = False,
    ) -> AsyncIterator[NarratorEvent]:
        await self._ensure_running()
        stream = self.narrator.stream(
            messages, tools, max_tokens=max_tokens, response_format=response_format, raw_text=raw_text
        )
        async for event in stream:
            yield event

    async def context_window(self) -> int | None:
        """What the child really runs with (llama.cpp's ``/props``), else what it was started with."""
        await self._ensure_running()
        with contextlib.suppress(aiohttp.ClientError, TimeoutError, ValueError):
            return await self.server.context_window() or self.server.context_tokens
        return self.server.context_tokens

    async def probe(self) -> float:
        await self._ensure_running()
        return await self.narrator.probe()

    async def aclose(self) -> None:
        await self.narrator.aclose()
        await self.server.stop()
        self._running = False


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=0)
    options = parser.parse_args(argv)
    import xllamacpp  # the optional extra: pip install 'dmbot[local]'

    params = xllamacpp.CommonParams()
    params.model.path = options.model
    params.n_ctx = options.ctx
    params.port = options.port
    params.hostnames = ["127.0.0.1"]
    params.use_jinja = True  # the model's own chat template, tools included
    if options.threads:
        params.cpuparams.n_threads = options.threads
        params.cpuparams_batch.n_threads = options.threads
    server = xllamacpp.Server(params)  # serves on its own threads
    sys.stdin.read()  # until the parent closes the pipe (or dies)
    del server


if __name__ == "__main__":
    main()
