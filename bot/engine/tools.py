"""The engine's side of the narrator's tools: each proposed call checked against the campaign and applied.

A round of calls runs in one transaction that locks the campaign row, then the party's rows (the order every
campaign change follows); each call runs in a savepoint, so a refused call leaves nothing behind and its
reason goes back to the model. What players gain, and harm above the campaign's approval bound, waits for
the DM as a pending change. `start_combat` starts a real fight through the combat service, in the same
transaction. The turn loop (`bot.engine.turns`) calls `ToolExecutor.execute` once per round.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.data.srd import SRD
from bot.engine import events as log
from bot.engine.campaign_info import CampaignDefaults, info_of
from bot.engine.caps import pending_full
from bot.engine.cast_tools import CastTools
from bot.engine.characters import CharacterRef
from bot.engine.checks import CheckService
from bot.engine.combat import CombatService
from bot.engine.dice import Dice
from bot.engine.hit_points import damaged, healed
from bot.engine.safety import rules_of
from bot.engine.sheet import (
    ActiveCondition,
    Actor,
    Item,
    Sheet,
    add_item,
    name_key,
    to_sheet,
    with_magic_hp,
    write_back,
)
from bot.engine.story_tools import StoryTools
from bot.engine.tool_calls import CallResult, EngineAction, Handler, Refused, Round, TurnTally, npc_key, refusal
from bot.engine.wording import counted
from bot.errors import Forbidden, InvalidInput, NotFound
from bot.narrator import NARRATOR_TOOLS, ProposedCall, ToolSpec, validate_arguments
from persistence.db import Database
from persistence.models import Character, PendingChange
from persistence.repositories import (
    CampaignRepository,
    NpcRepository,
    PartyRepository,
    PendingRepository,
)

MAX_CHECKS_PER_TURN = 6
# Risky skills whose failure by 5 or more hurts, when the campaign allows it: (dice, type, what happens).
CONSEQUENCES: Mapping[str, tuple[str, str, str]] = {
    "athletics": ("1d6", "bludgeoning", "a bad fall"),
    "acrobatics": ("1d4", "bludgeoning", "a hard tumble"),
}
CONSEQUENCE_MARGIN = 5


class ToolExecutor:
    """Validates proposed calls against the campaign and applies them through the engine's rules.

    `handlers` maps a tool name to its implementation; `combat` runs the fights `start_combat` begins.
    """

    def __init__(
        self,
        db: Database,
        checks: CheckService,
        combat: CombatService,
        dice: Dice,
        srd: SRD,
        defaults: CampaignDefaults,
    ) -> None:
        self.db = db
        self.defaults = defaults
        self.checks = checks
        self.combat = combat
        self.stats = checks.characters.stats
        self.dice = dice
        self.srd = srd
        self.handlers: dict[str, Handler] = {
            "request_check": self._check,
            "apply_damage": self._damage,
            "heal": self._heal,
            "add_condition": self._add_condition,
            "remove_condition": self._remove_condition,
            "give_item": self._give_item,
            "take_item": self._take_item,
            "award_xp": self._award_xp,
            "use_feature": self._use_feature,
            **StoryTools(combat, srd, defaults.caps, self._pend).handlers(),
            **CastTools(combat, srd).handlers(),
        }

    async def execute(
        self,
        campaign_id: int,
        calls: Sequence[ProposedCall],
        *,
        actor: Actor,
        is_dm: bool,
        turn_id: int | None,
        tally: TurnTally,
        tools: Sequence[ToolSpec] = NARRATOR_TOOLS,
        actors: frozenset[int] = frozenset(),
    ) -> list[CallResult]:
        """Every call of one round, in one transaction; `actors`: the other players of a round of actions."""
        async with self.db.transaction() as session:
            round_ = await self.open_round(session, campaign_id, actor=actor, is_dm=is_dm, turn_id=turn_id, tally=tally)
            round_.actors = actors
            results = [await self.one(round_, validate_arguments(call, tools)) for call in calls]
        for result in results:  # the roll log, once the round is committed
            for check in result.checks:
                await self.checks.record(actor, check)
        return results

    async def open_round(
        self,
        session: AsyncSession,
        campaign_id: int,
        *,
        actor: Actor,
        is_dm: bool,
        turn_id: int | None,
        tally: TurnTally,
        approved: bool = False,
    ) -> Round:
        """Lock the campaign row, then the party's rows: the order every campaign change follows."""
        campaign = await CampaignRepository(session).get(campaign_id, lock=True)
        if campaign is None:
            raise NotFound("This campaign no longer exists.")
        party = list(await PartyRepository(session).members(campaign_id, lock=True))
        info = info_of(campaign, self.defaults)
        return Round(session, campaign, info, party, actor, is_dm, turn_id, tally, approved)

    async def one(self, round_: Round, call: ProposedCall) -> CallResult:
        """One validated call: applied, waiting for the DM, or refused with the reason (never raises a rule)."""
        if not call.ok or call.arguments is None:
            return refusal(call, call.error or "unusable arguments")
        handler = self.handlers.get(call.name)
        if handler is None:
            return refusal(call, f"The engine cannot apply {call.name!r}.")
        arguments, line = rules_of(round_.info.safety).guarded(call.arguments)  # the story shows their text
        if line is not None:
            return refusal(call, "Its text crosses one of this table's lines: leave that out of the story entirely.")
        try:
            async with round_.session.begin_nested():  # a refused call leaves nothing behind
                result = await handler(round_, arguments)
        except Refused as refused:
            return refusal(call, str(refused))
        except (InvalidInput, NotFound, Forbidden) as error:
            return refusal(call, error.message)
        result.call_id = call.id
        return result

    # Finding targets ------------------------------------------------------------------------

    def _member(self, round_: Round, name: str) -> Character:
        wanted = name_key(name) if name.strip() else ""
        rows = round_.party
        found = [r for r in rows if r.name_key == wanted] or [
            r for r in rows if r.name_key.split(" ")[0] == wanted.split(" ")[0] and wanted
        ]
        if len(found) == 1:
            return found[0]
        names = ", ".join(r.name for r in rows) or "nobody yet"
        if len(found) > 1:
            raise Refused(f"“{name}” could be {', '.join(r.name for r in found)}; use the full name.")
        raise Refused(f"There is no player character called “{name}” in this campaign. The party: {names}.")

    async def _target(self, round_: Round, name: str, tool: str) -> Character:
        try:
            row = self._member(round_, name)
        except Refused:
            npc = await NpcRepository(round_.session).by_key(round_.campaign.id, npc_key(name))
            if npc is not None:
                raise Refused(
                    f"{npc.name} is an NPC; the engine tracks {tool} for player characters only. "
                    "Describe what happens to them in the story instead."
                ) from None
            raise
        if not round_.may_affect(row):
            raise Refused(
                f"This is {_owner_turn(round_)}'s turn: it may change only their own character, "
                f"not {row.name}. {row.name}'s player acts on their own turn; the DM can step in."
            )
        return row

    def _write(self, round_: Round, row: Character, new: Sheet, kind: str, text: str, extra: Mapping[str, Any]) -> None:
        before = to_sheet(row)
        write_back(row, new)
        data = {**log.change_of(before, new), **extra}
        log.record(
            round_.session,
            round_.campaign,
            kind,
            text,
            actor_id=round_.actor.user_id,
            character_id=row.id,
            turn_id=round_.turn_id,
            data=data,
        )

    def _waits(self, round_: Round, *, amount: int = 0, always: bool = False) -> bool:
        """Whether a change waits for the DM. What players gain (items, healing, XP, a condition lifted)
        always does, so a player who talks the model into a gift gets a request, not the gift; harm waits
        when it is above the campaign's approval bound. Auto-approve waits for nothing.

        On the DM's own turns the model still chose the change (and stored text may have steered it), so
        the same bounds and targets hold; the DM is allowed more: gains and harm up to the approval bound
        apply at once, larger ones wait for `/dm approve` (one command for the DM, a safeguard against a
        model talked into 1,000 XP). `amount` of a gain is its size (hit points, items; XP counts per 10)."""
        settings = round_.info.settings
        if round_.approved or settings.auto_approve:
            return False
        if round_.is_dm:
            return amount > settings.approval_bound
        return always or amount > settings.approval_bound

    async def _pend(self, round_: Round, tool: str, arguments: dict[str, Any], summary: str) -> CallResult:
        waiting = await PendingRepository(round_.session).count_waiting(round_.campaign.id)
        full = pending_full(waiting, self.defaults.caps)
        if full is not None:
            raise Refused(full)
        row = PendingChange(
            campaign_id=round_.campaign.id,
            turn_id=round_.turn_id,
            requested_by=round_.actor.user_id,
            tool=tool,
            arguments=arguments,
            summary=summary,
            status="pending",
        )
        PendingRepository(round_.session).add(row)
        log.record(
            round_.session,
            round_.campaign,
            "pending",
            f"Waiting for the DM: {summary}",
            actor_id=round_.actor.user_id,
            turn_id=round_.turn_id,
            data={"tool": tool, "arguments": arguments},
        )
        payload = {
            "ok": True,
            "pending": True,
            "message": f"Waiting for the DM's approval: {summary}. It has NOT happened; do not narrate it as done.",
        }
        return CallResult("", payload, EngineAction("pending", summary, "waits for the DM's approval (/dm approve)"))

    # The tools ------------------------------------------------------------------------------

    async def _check(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = self._member(round_, args["character"])
        if round_.tally.checks >= MAX_CHECKS_PER_TURN:
            raise Refused(f"At most {MAX_CHECKS_PER_TURN} checks a turn; narrate with the results you have.")
        round_.tally.checks += 1
        owner = Actor(row.owner_id, round_.campaign.guild_id, round_.campaign.channel_id)
        result = await self.checks.check(owner, args["skill_or_ability"], ref=CharacterRef(row.name, row.owner_id))
        dc = int(args["dc"])
        total = result.outcome.total if result.outcome else 0
        success = result.outcome is not None and total >= dc
        verdict = "success" if success else "failure"
        reason = args["reason"].replace("<<<", "").replace(">>>", "")  # the offline narrator quotes the action
        text = f"{row.name}: {result.label} {total} vs DC {dc}, {verdict} ({reason})"
        log.record(
            round_.session,
            round_.campaign,
            "check",
            text,
            actor_id=round_.actor.user_id,
            character_id=row.id,
            turn_id=round_.turn_id,
            data={
                "skill": args["skill_or_ability"],
                "dc": dc,
                "total": total,
                "success": success,
                "breakdown": result.outcome.breakdown if result.outcome else "automatic failure",
            },
        )
        check = {
            "character": row.name,
            "skill": args["skill_or_ability"],
            "label": result.label,
            "dc": dc,
            "total": total,
            "success": success,
            "margin": total - dc,
            "reasons": list(result.reasons),
        }
        dice = result.outcome.breakdown if result.outcome else "automatic failure"
        action = EngineAction(
            "check",
            row.name,
            f"{result.label} vs DC {dc}: {verdict}",
            dice,
            {"total": total, "dc": dc, "success": int(success)},
        )
        payload: dict[str, Any] = {"ok": True, "check": check}
        out = CallResult("", payload, action, [result])
        if not success:
            await self._consequence(round_, row, args["skill_or_ability"], total - dc, out)
        return out

    async def _consequence(self, round_: Round, row: Character, skill: str, margin: int, out: CallResult) -> None:
        """A risky check failed badly: the engine rolls the harm (within the turn's damage bound)."""
        rule = CONSEQUENCES.get(skill)
        allowed = round_.info.settings.consequences and round_.may_affect(row)
        if rule is None or not allowed or margin > -CONSEQUENCE_MARGIN:
            return
        dice, kind, what = rule
        room = round_.info.settings.bounds.damage - round_.tally.damage
        roll = self.dice.roll(dice, label=f"{row.name}: {what}")
        amount = min(roll.total, room)
        if amount <= 0:
            return
        round_.tally.damage += amount
        sheet = to_sheet(row)
        new = damaged(sheet, amount)
        text = f"{row.name} suffers {what}: {amount} {kind} damage (HP {sheet.hp_current} → {new.hp_current})"
        self._write(
            round_,
            row,
            new,
            "damage",
            text,
            {"amount": amount, "type": kind, "rule": "consequence", "breakdown": roll.breakdown},
        )
        out.payload["consequence"] = {"what": what, "damage": amount, "type": kind, "hp": new.hp_current}
        numbers = {"amount": amount, "hp_before": sheet.hp_current, "hp_after": new.hp_current}
        detail = f"{what}: {amount} {kind} damage, HP {sheet.hp_current} → {new.hp_current}"
        out.followups.append(EngineAction("consequence", row.name, detail, roll.breakdown, numbers))

    async def _damage(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "hit points")
        amount, bound = int(args["amount"]), round_.info.settings.bounds.damage
        if round_.tally.damage + amount > bound:
            raise Refused(
                f"{amount} damage would take this turn to {round_.tally.damage + amount}, above the "
                f"campaign's bound of {bound} a turn."
            )
        round_.tally.damage += amount
        summary = f"{amount} {args['damage_type']} damage to {row.name} ({args['reason']})"
        if self._waits(round_, amount=amount):
            return await self._pend(round_, "apply_damage", args, summary)
        sheet = to_sheet(row)
        if sheet.death_failures >= 3:
            raise Refused(f"{row.name} is dead already.")
        new = damaged(sheet, amount)
        text = (
            f"{row.name} takes {amount} {args['damage_type']} damage (HP {sheet.hp_current} → {new.hp_current}): "
            f"{args['reason']}"
        )
        self._write(round_, row, new, "damage", text, {"amount": amount, "type": args["damage_type"]})
        followups = self._concentration(round_, row, amount)
        payload = {
            "ok": True,
            "damage": {
                "target": row.name,
                "amount": amount,
                "type": args["damage_type"],
                "hp_before": sheet.hp_current,
                "hp_after": new.hp_current,
                "unconscious": new.hp_current == 0,
            },
        }
        action = EngineAction(
            "damage",
            row.name,
            f"{amount} {args['damage_type']} damage, HP {sheet.hp_current} → {new.hp_current}",
            numbers={"amount": amount, "hp_before": sheet.hp_current, "hp_after": new.hp_current},
        )
        return CallResult("", payload, action, followups=followups)

    def _concentration(self, round_: Round, row: Character, amount: int) -> list[EngineAction]:
        """A spell the damaged character concentrates on: its CON save (DC 10 or half the damage)."""
        save, ended = self.combat.concentration_outside(round_.party, row, amount)
        found = []
        if save is not None and save.roll is not None:
            verdict = "kept" if save.success else "lost"
            detail = f"concentration {verdict}: CON save {save.total} vs DC {save.dc}"
            found.append(EngineAction("spell", row.name, detail, dice=save.roll.breakdown))
        return found + [EngineAction("spell", name, "ends with the concentration") for name in ended]

    async def _heal(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "hit points")
        amount, bound = int(args["amount"]), round_.info.settings.bounds.heal
        if round_.tally.heal + amount > bound:
            raise Refused(
                f"{amount} healing would take this turn to {round_.tally.heal + amount}, above the "
                f"campaign's bound of {bound} a turn."
            )
        round_.tally.heal += amount
        if self._waits(round_, amount=amount, always=True):
            return await self._pend(round_, "heal", args, f"heal {row.name} by {amount}")
        sheet = to_sheet(row)
        if sheet.death_failures >= 3:
            raise Refused(f"{row.name} is dead; healing cannot help.")
        new = healed(sheet, amount)
        self._write(
            round_,
            row,
            new,
            "heal",
            f"{row.name} heals {new.hp_current - sheet.hp_current} (HP {sheet.hp_current} → {new.hp_current})",
            {"amount": amount},
        )
        payload = {"ok": True, "heal": {"target": row.name, "hp_before": sheet.hp_current, "hp_after": new.hp_current}}
        action = EngineAction(
            "heal",
            row.name,
            f"heals, HP {sheet.hp_current} → {new.hp_current}",
            numbers={"hp_before": sheet.hp_current, "hp_after": new.hp_current},
        )
        return CallResult("", payload, action)

    async def _add_condition(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "conditions")
        condition = self.srd.condition(args["condition"])
        sheet = to_sheet(row)
        held = next((c for c in sheet.conditions if c.name == condition.index), None)
        if held is not None and condition.index != "exhaustion":
            return CallResult(
                "",
                {"ok": True, "note": f"{row.name} is already {condition.name.lower()}."},
                EngineAction("condition", row.name, f"already {condition.name.lower()}"),
            )
        level = min(6, held.level + 1) if held else 1
        added = ActiveCondition(condition.index, args.get("rounds"), level)
        new = replace(sheet, conditions=(*(c for c in sheet.conditions if c.name != condition.index), added))
        self._write(
            round_,
            row,
            new,
            "condition",
            f"{row.name} is now {condition.name.lower()}",
            {"condition": condition.index, "added": True},
        )
        return CallResult(
            "",
            {"ok": True, "condition": {"target": row.name, "added": condition.index}},
            EngineAction("condition", row.name, f"now {condition.name.lower()}"),
        )

    async def _remove_condition(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "conditions")
        condition = self.srd.condition(args["condition"])
        sheet = to_sheet(row)
        kept = tuple(c for c in sheet.conditions if c.name != condition.index)
        if len(kept) == len(sheet.conditions):
            raise Refused(f"{row.name} isn't {condition.name.lower()}.")
        if self._waits(round_, always=True):
            return await self._pend(round_, "remove_condition", args, f"end {row.name}'s {condition.name.lower()}")
        self._write(
            round_,
            row,
            replace(sheet, conditions=kept),
            "condition",
            f"{row.name} is no longer {condition.name.lower()}",
            {"condition": condition.index},
        )
        return CallResult(
            "",
            {"ok": True, "condition": {"target": row.name, "removed": condition.index}},
            EngineAction("condition", row.name, f"no longer {condition.name.lower()}"),
        )

    def _item(self, text: str) -> tuple[str, str]:
        items = self.srd.lookup("item")
        cleaned = " ".join(text.split())
        if cleaned in items:
            entry = items.get(cleaned)
            return entry.index, entry.name
        head = cleaned.split("(")[0].strip()
        found = self.srd.search("item", cleaned, limit=3) or self.srd.search("item", head, limit=3)
        if found:
            return found[0]
        if cleaned in self.srd.lookup("magic_item"):
            raise Refused(f"{cleaned} is a magic item; only the DM hands those out.")
        raise Refused(f"“{cleaned[:60]}” is not an SRD item (coins, magic items and homebrew come from the DM).")

    async def _give_item(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "items")
        index, item_name = self._item(args["item"])
        quantity = self._count_items(round_, int(args["quantity"]))
        summary = f"give {quantity} × {item_name} to {row.name}"
        if self._waits(round_, amount=quantity, always=True):
            return await self._pend(round_, "give_item", args, summary)
        sheet = to_sheet(row)
        new = replace(sheet, inventory=add_item(sheet.inventory, Item(index, item_name, quantity)))
        self._write(
            round_,
            row,
            new,
            "item",
            f"{row.name} gains {quantity} × {item_name}",
            {"item": index, "quantity": quantity},
        )
        action = EngineAction("item", row.name, f"gains {quantity} × {item_name}", numbers={"quantity": quantity})
        return CallResult("", {"ok": True, "item": {"target": row.name, "item": item_name, "gained": quantity}}, action)

    async def _take_item(self, round_: Round, args: dict[str, Any]) -> CallResult:
        row = await self._target(round_, args["target"], "items")
        index, item_name = self._item(args["item"])
        sheet = to_sheet(row)
        held = sheet.carried(index)
        quantity = int(args["quantity"])
        if held is None or held.quantity < quantity:
            have = held.quantity if held else 0
            raise Refused(f"{row.name} carries {have} × {item_name}; cannot take {quantity}.")
        self._count_items(round_, quantity)
        if self._waits(round_, amount=quantity):
            return await self._pend(round_, "take_item", args, f"take {quantity} × {item_name} from {row.name}")
        rest = held.quantity - quantity
        items = tuple(
            replace(i, quantity=rest) if i.item == index else i for i in sheet.inventory if i.item != index or rest
        )
        self._write(
            round_,
            row,
            with_magic_hp(sheet, replace(sheet, inventory=items), self.srd),  # an attuned Amulet of Health taken
            "item",
            f"{row.name} loses {quantity} × {item_name}",
            {"item": index, "quantity": -quantity},
        )
        action = EngineAction("item", row.name, f"loses {quantity} × {item_name}", numbers={"quantity": quantity})
        return CallResult("", {"ok": True, "item": {"target": row.name, "item": item_name, "lost": quantity}}, action)

    async def _use_feature(self, round_: Round, args: dict[str, Any]) -> CallResult:
        """A feature the player invoked ("I rage"): spent on the sheet by its rules; in a fight, `/feature use`
        does what it does there (the narrator's round holds no fight)."""
        row = await self._target(round_, args["character"], "features")
        sheet = to_sheet(row)
        new, used = self.combat.features.on_sheet(sheet, str(args["feature"]), int(args.get("amount") or 1))
        text = " ".join(used.lines)
        self._write(round_, row, new, "feature", text, {"feature": used.feature})
        left = {"left": used.uses.left, "maximum": used.uses.maximum} if used.uses else {}
        numbers = {**left, **{f"roll_{n}": r.total for n, r in enumerate(used.rolls, 1)}}
        dice = " · ".join(r.breakdown for r in used.rolls)  # Second Wind's d10
        action = EngineAction("feature", row.name, text, dice=dice, numbers=numbers)
        return CallResult("", {"ok": True, "feature": {"character": row.name, "used": used.feature, **left}}, action)

    def _count_items(self, round_: Round, quantity: int) -> int:
        bound = round_.info.settings.bounds.items
        if round_.tally.items + quantity > bound:
            raise Refused(
                f"{counted(quantity, 'item')} would take this turn to {round_.tally.items + quantity}, above the "
                f"campaign's bound of {counted(bound, 'item')} a turn."
            )
        round_.tally.items += quantity
        return quantity

    async def _award_xp(self, round_: Round, args: dict[str, Any]) -> CallResult:
        targets = args["targets"]
        party_wide = targets == "party"
        rows = list(round_.party) if party_wide else [await self._target(round_, n, "XP") for n in targets]
        rows = list({r.id: r for r in rows}.values())
        if not rows:
            raise Refused("Nobody is in the party yet.")
        amount, bound = int(args["amount"]), round_.info.settings.bounds.xp
        for row in rows:
            if round_.tally.xp.get(row.id, 0) + amount > bound:
                raise Refused(f"{amount} XP would take {row.name} above the campaign's bound of {bound} XP a turn.")
        for row in rows:
            round_.tally.xp[row.id] = round_.tally.xp.get(row.id, 0) + amount
        names = ", ".join(r.name for r in rows)
        if self._waits(round_, amount=(amount + 9) // 10 * len(rows), always=True):
            return await self._pend(round_, "award_xp", args, f"{amount} XP to {names}")
        for row in rows:
            sheet = to_sheet(row)
            text = f"{row.name} earns {amount} XP ({sheet.xp} → {sheet.xp + amount})"
            self._write(round_, row, replace(sheet, xp=sheet.xp + amount), "xp", text, {"amount": amount})
        return CallResult(
            "",
            {"ok": True, "xp": {"targets": [r.name for r in rows], "amount": amount}},
            EngineAction("xp", names, f"{amount} XP each", numbers={"amount": amount}),
        )


def _owner_turn(round_: Round) -> str:
    return next((r.name for r in round_.party if r.owner_id == round_.actor.user_id), "this player")
