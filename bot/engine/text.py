"""Player text made storable: invisible and control characters out (Postgres refuses NUL outright)."""

from __future__ import annotations

import unicodedata

# Control, format (zero-width, bidi overrides), surrogate, private-use and unassigned characters.
INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
KEPT_IN_PROSE = frozenset("\n\t")
UNSTORABLE = frozenset({"Cc", "Cs"})


def visible(text: str) -> str:
    """`text` without invisible characters (for names, labels and search text)."""
    return "".join(c for c in text if unicodedata.category(c) not in INVISIBLE)


def prose(text: str) -> str:
    """Multi-line text (notes, backstories): invisible characters out, but line breaks and tabs kept."""
    return "".join(c for c in text if c in KEPT_IN_PROSE or unicodedata.category(c) not in INVISIBLE)


def storable(text: str) -> str:
    """Any typed text made safe to store and send on: control characters out (NUL above all, which Postgres
    refuses, and terminal escapes), line breaks and tabs kept, lone surrogates (not UTF-8) out."""
    return "".join(c for c in text if c in KEPT_IN_PROSE or unicodedata.category(c) not in UNSTORABLE)
