"""The narrators a campaign engine talks to: the configured one, the offline fallback, one per model a DM picked.

Narrated turns (`bot.engine.turns`) and the narrator's advice to the DM's table (`bot.engine.advice`) both
ask this pool; it is built once with the services (`bot.services`) and closed with them.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.narrator import Narrator


class NarratorPool:
    """The configured narrator, the offline fallback, and one narrator per model a DM picked."""

    def __init__(self, default: Narrator, offline: Narrator, make: Callable[[str], Narrator] | None = None) -> None:
        self.default = default
        self.offline = offline
        self._make = make
        self._made: dict[str, Narrator] = {}

    def for_model(self, model: str | None) -> Narrator:
        if not model or model == self.default.model or self._make is None or self.default.name in ("offline", "local"):
            return self.default
        if model not in self._made:
            self._made[model] = self._make(model)
        return self._made[model]

    async def aclose(self) -> None:
        for narrator in {id(n): n for n in (self.default, self.offline, *self._made.values())}.values():
            await narrator.aclose()
