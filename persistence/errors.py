"""Errors the storage layer raises in its own terms, so no caller has to know SQLAlchemy's or a driver's."""

from __future__ import annotations


class Conflict(Exception):
    """A write collided with a row that already exists (a unique key): usually one action made twice at once.

    The transaction it happened in is lost; the caller decides what the collision means to a user.
    """
