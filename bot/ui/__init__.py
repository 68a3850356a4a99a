"""Rendering: embeds, views and replies. Discord-facing, free of rules."""
