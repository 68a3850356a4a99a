"""Fitting to Discord's limits (bot/ui/fit.py) and the views that use it, at the worst valid inputs.

Every message is checked with the same checker the stress test applies to the local Discord's log
(tests/message_limits.py). Names are 64 characters of Markdown, so escaping doubles them.
"""

from __future__ import annotations

import discord
import pytest

from bot import discord_limits as limits
from bot.engine.combat import CombatEnd, Reward, TrackerEntry, TrackerState, TurnChange
from bot.engine.table import NpcInfo
from bot.testbed.message_limits import embed_violations, message_violations
from bot.ui import campaign_views, combat_views, dm_views
from bot.ui.fit import (
    choices,
    chunks,
    clamp,
    fit_embed,
    fit_lines,
    messages_of,
    text_embeds,
    upload_batches,
    upload_parts,
)
from bot.ui.text import safe

LONG_NAME = "_*" * 32  # 64 characters, 128 once escaped


def message(*embeds: discord.Embed, content: str | None = None) -> dict[str, object]:
    return {"content": content, "embeds": [e.to_dict() for e in embeds]}


def entry(n: int, *, current: bool = False) -> TrackerEntry:
    conditions = ("poisoned (10 rounds)", "frightened (3 rounds)", "restrained", "prone")
    return TrackerEntry(
        n,
        f"{LONG_NAME[:-3]}{n:03}",
        "monster",
        20 - n % 20,
        None,
        current,
        "up",
        "bloodied",
        None,
        None,
        0,
        None,
        conditions,
        None,
    )


def tracker(count: int) -> TrackerState:
    entries = tuple(entry(n, current=n == 0) for n in range(count))
    return TrackerState(1, 1, 1, "active", 3, 7, entries, for_dm=False)


# --- the pieces -------------------------------------------------------------------------------------


def test_fit_lines_keeps_whole_items_and_says_how_many_more() -> None:
    items = [safe(f"{LONG_NAME}{n}") for n in range(100)]
    text = fit_lines(items, 1000, sep=", ")
    assert len(text) <= 1000
    shown = text.split(", ")[:-1]
    assert shown == items[: len(shown)] and text.endswith(f"… and {100 - len(shown)} more")
    assert fit_lines(items[:3], 1000, sep=", ") == ", ".join(items[:3])  # everything fits: no "more"


def test_fit_lines_with_room_for_nothing_but_the_count() -> None:
    assert fit_lines(["x" * 50, "y"], 20) == "… and 2 more"
    assert len(fit_lines(["x" * 50], 20)) == 20  # one item too long for the limit: clamped, not lost


def test_clamp_and_chunks() -> None:
    assert clamp("abcdef", 4) == "abc…" and clamp("abc", 4) == "abc"
    text = "\n".join(f"line {n} " + "word " * 30 for n in range(300))
    pieces = chunks(text, 3500)
    assert all(len(p) <= 3500 for p in pieces) and len(pieces) > 1
    assert " ".join(" ".join(pieces).split()) == " ".join(text.split())  # nothing lost


def test_fit_embed_keeps_every_limit_and_the_total() -> None:
    embed = discord.Embed(title="t" * 300, description="d" * 5000)
    for _ in range(30):
        embed.add_field(name="n" * 300, value="v" * 2000)
    embed.set_footer(text="f" * 3000)
    embed.set_author(name="a" * 300)
    embed.set_thumbnail(url="https://")
    fitted = dict(fit_embed(embed).to_dict())
    assert embed_violations(fitted, "embed") == []
    assert "thumbnail" not in fitted
    assert len(embed.description or "") == 5000  # the caller's embed is not changed


@pytest.mark.parametrize(
    "url",
    [
        "https://",
        "https:///x.png",
        "ftp://a.test/x.png",
        "https://a b.test/",
        "x.png",
        "https://-bad.test/",
        "https://a.test:99999/",
    ],
)
def test_bad_urls_are_refused(url: str) -> None:
    assert not limits.is_http_url(url)
    embed = discord.Embed(description="x").set_thumbnail(url=url).set_image(url=url)
    assert not {"thumbnail", "image"} & set(fit_embed(embed).to_dict())


@pytest.mark.parametrize("url", ["https://example.com/a.png", "http://cdn.test:8080/p?q=1", "https://[::1]/a.png"])
def test_good_urls_pass(url: str) -> None:
    assert limits.is_http_url(url)
    assert fit_embed(discord.Embed().set_thumbnail(url=url)).thumbnail.url == url


def test_a_long_text_is_split_whole_over_embeds_and_messages() -> None:
    text = "\n".join(safe(f"- {LONG_NAME} did a thing") for _ in range(200))  # ~30,000 characters
    batches = messages_of(text_embeds("📖 The story so far", text, discord.Colour.gold()))
    assert len(batches) > 1
    assert all(message_violations(message(*batch)) == [] for batch in batches)
    shown = "\n".join(e.description or "" for batch in batches for e in batch)
    assert shown.split() == text.split()


def test_uploads_are_split_at_line_ends_under_the_limit() -> None:
    data = b"".join(b'{"event": %d, "text": "%s"}\n' % (n, b"x" * 90) for n in range(2000))
    parts = upload_parts("campaign.json", data, limit=50_000)
    assert [name for name, _ in parts[:2]] == ["campaign.part1.json", "campaign.part2.json"]
    assert all(len(piece) <= 50_000 and piece.endswith(b"\n") for _, piece in parts)
    assert b"".join(piece for _, piece in parts) == data
    batches = upload_batches([("a.md", b"x" * 30_000), ("a.json", data)], limit=50_000)
    assert all(sum(len(d) for _, d in batch) <= 50_000 for batch in batches)
    assert upload_batches([("a.md", b"x"), ("a.json", b"y")]) == [[("a.md", b"x"), ("a.json", b"y")]]


# --- the known cases ------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 30, 40])
def test_the_tracker_fits_with_every_combatant_long_named_and_conditioned(count: int) -> None:
    embed = combat_views.tracker_embed(tracker(count))
    assert message_violations(message(embed)) == []
    if count == 40:
        assert "more" in (embed.description or "").splitlines()[-1]


def test_the_turn_message_caps_the_dead_it_skipped() -> None:
    state = tracker(40)
    dead = tuple(f"{LONG_NAME[:-3]}{n:03}" for n in range(39))
    change = TurnChange(state, None, state.entries[0], 4, True, dead, dead, 7)
    content, _ = combat_views.turn_message(change)
    assert message_violations({"content": content}) == [] and "Skipped (dead)" in content and "more" in content


def test_the_end_of_a_fight_fits() -> None:
    defeated = tuple(f"{LONG_NAME[:-3]}{n:03}" for n in range(40))
    rewards = tuple(Reward(f"{LONG_NAME[:-3]}{n:03}", n, 10_000, True) for n in range(40))
    end = CombatEnd(tracker(40), defeated, 1_000_000, 25_000, rewards)
    assert message_violations(message(combat_views.end_embed(end))) == []


def test_the_npc_list_fits_at_fifty_of_the_longest() -> None:
    npcs = [NpcInfo(LONG_NAME * 2, "_" * 200, "d" * 500) for _ in range(50)]
    embed = dm_views.npc_list_embed(npcs)
    assert message_violations(message(embed)) == [] and "more" in (embed.description or "")


def test_an_award_to_many_fits_in_one_message() -> None:
    award = dm_views.Awarded(
        what=LONG_NAME * 3, names=tuple(LONG_NAME for _ in range(40)), notes=tuple("*" * 300 for _ in range(20))
    )
    assert message_violations({"content": dm_views.award_text(award)}) == []


def test_a_recap_of_escaped_text_is_shown_whole() -> None:
    info = _campaign()
    text = "\n".join(f"- {LONG_NAME} and *friends* went _somewhere_ #{n}" for n in range(40))  # 3,500-ish raw
    embeds = campaign_views.recap_embeds(info, text)
    batches = messages_of(embeds)
    assert all(message_violations(message(*batch)) == [] for batch in batches)
    assert sum(len(e.description or "") for e in embeds) > limits.EMBED_DESCRIPTION  # one embed would have cut it


def _campaign() -> campaign_views.CampaignInfo:
    from bot.engine.campaign_info import CampaignInfo

    fields = CampaignInfo.__dataclass_fields__
    defaults: dict[str, object] = {name: None for name in fields}
    defaults["name"] = LONG_NAME
    return CampaignInfo(**defaults)  # type: ignore[arg-type]  # only the name is shown


def test_autocomplete_choices_keep_discords_limits() -> None:
    offered = choices([f"name {n}" for n in range(40)] + ["x" * 101, ""])
    assert len(offered) == limits.AUTOCOMPLETE_CHOICES and offered[0].value == "name 0"
    labelled = choices(["x" * 101, "short"], ["too long to send", "l" * 150])
    assert [(c.value, len(c.name)) for c in labelled] == [("short", 100)]  # a cut value would name another thing


def test_choices_from_a_generator_keep_each_value_with_its_own_name() -> None:
    offered = choices(name for name in ("gpt-4o-mini", "secret-host-model-7b", "qwen"))
    assert [(c.name, c.value) for c in offered] == [(n, n) for n in ("gpt-4o-mini", "secret-host-model-7b", "qwen")]
