"""Expected failures: a `GameError` carries a message the player can act on."""

from __future__ import annotations


class GameError(Exception):
    """A failure whose message is safe to show to the user as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(GameError):
    """What the user typed cannot be used; the message says why and shows an example."""


class NotFound(GameError):
    """The thing named does not exist (here, for this user)."""


class Forbidden(GameError):
    """The user may not do this."""


class RateLimited(GameError):
    """Too many commands; `retry_after` says when to try again."""

    def __init__(self, retry_after: float) -> None:
        seconds = max(1, round(retry_after + 0.49))
        super().__init__(f"You're going a little fast. Try again in {seconds} s.")
        self.retry_after = retry_after
