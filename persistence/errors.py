class Conflict(Exception):
    """A write the database refused because it conflicts with a row already there (a unique key)."""
