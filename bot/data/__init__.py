"""Game data shipped with the bot: the derived SRD 5.1 facts (``srd.json``) and their loader."""

from bot.data.srd import SRD, load_srd

__all__ = ["SRD", "load_srd"]
