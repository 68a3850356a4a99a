"""The narrator's `cast_spell` tool: a player character casts one of its own spells through the engine, in the
campaign's fight (on its combatants, on its turn) or outside one (on the party; a damage spell's dice are
rolled for the DM). Validated like every tool: the caster is a party member the actor may act for, the spell
one it has ready with a slot left, the targets in the fight or the party. Runs in the round's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect

from bot.data.srd import SRD
from bot.engine import casting
from bot.engine.combat import CombatService
from bot.engine.combat.cast_results import CastReport, outcome_summary
from bot.engine.homebrew import srd_with_spells
from bot.engine.sheet import name_key
from bot.engine.tool_calls import CallResult, EngineAction, Handler, Refused, Round


class CastTools:
    def __init__(self, combat: CombatService, srd: SRD) -> None:
        self.combat = combat
        self.srd = srd

    def handlers(self) -> dict[str, Handler]:
        return {"cast_spell": self.cast_spell}

    async def cast_spell(self, round_: Round, args: dict[str, Any]) -> CallResult:
        for row in round_.party:  # a refused cast's savepoint rolled back expires what it had touched
            if inspect(row).expired_attributes:
                await round_.session.refresh(row)
        caster = next((r for r in round_.party if r.name_key == name_key(args["caster"])), None)
        if caster is None:
            raise Refused(
                f"{args['caster']} is not a player character of this campaign; monsters cast on the DM's word."
            )
        if not round_.may_affect(caster):
            raise Refused(f"Only {caster.name}'s player (or the DM) decides what {caster.name} casts.")
        srd = await srd_with_spells(round_.session, self.srd, round_.actor)  # the campaign's homebrew spells too
        if args["spell"] not in srd.lookup("spell"):
            raise Refused(f"“{args['spell']}” is not an SRD 5.1 spell or a homebrew spell of this campaign.")
        spell = srd.spell(args["spell"])
        targets = [str(t) for t in args["targets"]]
        level = args.get("level")
        combat_id = await self.combat.active_for_campaign(round_.campaign.id)
        if combat_id is not None:
            targets = [await self._combatant(combat_id, t) for t in targets]
            report = await self.combat.cast_with(
                round_.session, round_.actor, combat_id, spell.index, level=level, targets=targets, caster=caster.name
            )
        else:
            others = [r for r in round_.party if r.name_key in {name_key(t) for t in targets} and r is not caster]
            strangers = [t for t in targets if name_key(t) not in {r.name_key for r in round_.party}]
            if strangers and not casting.harmful(spell):
                raise Refused(f"Outside a fight {spell.name} lands only on the party; not on {', '.join(strangers)}.")
            report = await self.combat.outside_with(
                round_.session,
                round_.actor,
                caster,
                others,
                spell.index,
                level=level,
                on_self=caster.name_key in {name_key(t) for t in targets},
                bystanders=round_.party,
            )
        return _result(report)

    async def _combatant(self, combat_id: int, name: str) -> str:
        """The story's "the goblin" as a combatant: the exact name, else the first living one it names."""
        living = await self.combat.target_names(combat_id, name)
        exact = [n for n in living if n.casefold() == name.strip().casefold()]
        return (exact or living or [name])[0]


def _result(report: CastReport) -> CallResult:
    payload = {
        "ok": True,
        "spell": {
            "caster": report.caster,
            "spell": report.spell.name,
            "slot": report.slot_label,
            "results": [{"target": o.target, "result": outcome_summary(o)} for o in report.outcomes],
            "notes": list(report.notes),
            "concentration_ended": list(report.concentration_ended),
        },
    }
    action = EngineAction("spell", report.caster, f"casts {report.spell.name} ({report.slot_label})")
    followups = [
        EngineAction("spell", o.target, outcome_summary(o), dice=" · ".join(r.breakdown for r in o.outcomes))
        for o in report.outcomes
    ]
    followups += [EngineAction("spell", report.caster, note) for note in report.notes]
    if report.shared_rolls and not report.outcomes:
        followups.append(EngineAction("spell", report.spell.name, "dice", dice=report.shared_rolls[0].breakdown))
    return CallResult("", payload, action, followups=followups)
