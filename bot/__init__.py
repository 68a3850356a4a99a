"""dmbot: a Discord dungeon master for D&D 5e (SRD 5.1)."""

__version__ = "0.1.0"
