"""What Discord accepts, as named numbers (its documented limits), and the one URL check.

Free of discord.py on purpose: the engine validates input against these (a portrait URL), the UI fits
what it sends to them (bot/ui/fit.py), and the tests check the local Discord's request log against them.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# Messages
CONTENT = 2000
EMBEDS_PER_MESSAGE = 10
UPLOAD_BYTES = 10 * 1024 * 1024  # all files of one message, for a bot without boosts
ATTACHMENTS_PER_MESSAGE = 10

# Embeds
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
FIELD_NAME = 256
FIELD_VALUE = 1024
FOOTER_TEXT = 2048
AUTHOR_NAME = 256
EMBED_TOTAL = 6000  # title + description + field names and values + footer + author, summed over a message
URL_LENGTH = 2048

# Components, modals, autocomplete
COMPONENT_ROWS = 5
SELECT_OPTIONS = 25
SELECT_OPTION_LABEL = 100
SELECT_OPTION_VALUE = 100
SELECT_OPTION_DESCRIPTION = 100
SELECT_PLACEHOLDER = 150
CUSTOM_ID = 100
BUTTON_LABEL = 80
MODAL_TITLE = 45
AUTOCOMPLETE_CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100

# A host name: dot-separated labels of letters, digits and hyphens (IDNs arrive as punycode or unicode
# letters), or an IPv4 address; urlsplit strips the brackets of an IPv6 literal, checked apart.
_HOST_LABEL = re.compile(r"^(?!-)[\w-]{1,63}(?<!-)$")


def is_http_url(url: str) -> bool:
    """A well-formed http(s) URL with a host: what Discord accepts for an embed's thumbnail or image."""
    if not url or len(url) > URL_LENGTH or not url.isprintable() or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number in range)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and host is not None and _valid_host(host)


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal
        return all(c in "0123456789abcdef:." for c in host)
    labels = host.rstrip(".").split(".")
    return bool(host) and all(_HOST_LABEL.match(label) for label in labels)
