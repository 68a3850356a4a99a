"""The campaign engine: rules, dice and state changes. No Discord, no SQL text, no global state."""
