"""Local stand-ins for the services the bot talks to: Discord (``LocalDiscord``) and an LLM."""

from bot.sandbox.interactions import Callback, InteractionHandle
from bot.sandbox.messages import Attachment, File, Message, RequestRecord, Violation
from bot.sandbox.server import SANDBOX_TOKEN, LocalDiscord
from bot.sandbox.world import Channel, Guild, Member, Role, User, World, default_world

__all__ = [
    "SANDBOX_TOKEN",
    "Attachment",
    "Callback",
    "Channel",
    "File",
    "Guild",
    "InteractionHandle",
    "LocalDiscord",
    "Member",
    "Message",
    "RequestRecord",
    "Role",
    "User",
    "Violation",
    "World",
    "default_world",
]
