"""Dice, on d20 (Avrae's engine): parse, guard against input that escapes d20's own errors, roll.

Every die in dmbot is rolled here, with a random source the caller owns so tests can be deterministic.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum

import d20
from d20 import RollResult, diceast
from d20 import expression as d20_expression

from bot.errors import InvalidInput

MAX_EXPRESSION_LENGTH = 200
MAX_NESTING = 20
MAX_BREAKDOWN_LENGTH = 1000
MAX_TOTAL = 10**15  # a total must fit the roll log's BIGINT (a larger one failed the log's whole batch)
EXAMPLE = "Examples: `/roll 1d20+5`, `/roll 4d6kh3`, `/roll 2d6+1d4+3`"
ENDLESS_OPERATORS = {"e", "rr"}  # explode / reroll-until: endless when every face qualifies
ANNOTATION = re.compile(r"(\[[^\]]*\])")  # d20's `[fire]`: text inside is kept as typed
ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
LABEL_START = re.compile(r"\s(?=[^\W\d_])")  # a space, then a letter: where a trailing label may begin
DICE_WORD = re.compile(r"\d*d(\d|%)", re.IGNORECASE)  # `d6` after a space is more dice, not a label


class Advantage(Enum):
    NONE = 0
    ADVANTAGE = 1
    DISADVANTAGE = 2

    @classmethod
    def from_flags(cls, advantage: bool, disadvantage: bool) -> Advantage:
        """Advantage and disadvantage cancel each other, as in the SRD."""
        if advantage == disadvantage:
            return cls.NONE
        return cls.ADVANTAGE if advantage else cls.DISADVANTAGE

    def to_d20(self) -> d20.AdvType:
        return {
            Advantage.NONE: d20.AdvType.NONE,
            Advantage.ADVANTAGE: d20.AdvType.ADV,
            Advantage.DISADVANTAGE: d20.AdvType.DIS,
        }[self]


class Critical(Enum):
    NONE = "none"
    SUCCESS = "critical"  # a natural 20 on the leading d20
    FAIL = "fumble"  # a natural 1 on the leading d20


@dataclass(frozen=True)
class RollOutcome:
    expression: str
    total: int
    breakdown: str  # Markdown: dropped dice struck through, criticals in bold
    critical: Critical
    advantage: Advantage
    label: str | None = None
    full_breakdown: str = ""  # untruncated, for the roll log

    @property
    def natural_crit(self) -> bool:
        return self.critical is Critical.SUCCESS


class Dice:
    """Rolls expressions with its own random source."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self.rng = rng or random.SystemRandom()

    def roll(
        self,
        expression: str,
        *,
        advantage: Advantage = Advantage.NONE,
        label: str | None = None,
    ) -> RollOutcome:
        text = fold_case(normalise(expression))
        tree = parse(text)
        if advantage is not Advantage.NONE and not _leads_with_d20(tree):
            raise InvalidInput(
                "Advantage and disadvantage apply to a roll that starts with `1d20`, "
                f"and `{text}` doesn't. Example: `/roll 1d20+5 advantage:True`"
            )
        result, total, full = self._roll_tree(text, tree, advantage)
        return RollOutcome(
            expression=text,
            total=total,
            breakdown=_shorten(full, result.ast, total),
            critical=Critical(_critical(result)),
            advantage=advantage,
            label=label,
            full_breakdown=full,
        )

    def total(self, expression: str) -> int:
        """Roll and return only the total (for the engine's own rolls: HP, damage...)."""
        return self.roll(expression).total

    def d20(self) -> int:
        return self.rng.randint(1, 20)

    def _roll_tree(self, text: str, tree: diceast.Expression, advantage: Advantage) -> tuple[RollResult, int, str]:
        """Roll, total and print inside one guard: d20 computes the total lazily."""
        roller = d20.Roller()
        try:
            with _d20_random(self.rng):
                result = roller.roll(tree, stringifier=d20.MarkdownStringifier(), advantage=advantage.to_d20())
            total = int(result.total)
            if abs(total) > MAX_TOTAL:
                raise OverflowError(total)
            return result, total, str(result)
        except d20.TooManyRolls:
            raise InvalidInput(
                f"`{_quote(text)}` rolls too many dice (1,000 at most, counting rerolls and explosions). " + EXAMPLE
            ) from None
        except (d20.RollValueError, ZeroDivisionError) as error:
            raise InvalidInput(f"`{_quote(text)}` can't be rolled: {_d20_reason(error)}. {EXAMPLE}") from None
        except (RecursionError, ValueError, OverflowError):
            raise InvalidInput(f"`{_quote(text)}` is too large or too deeply nested to roll. {EXAMPLE}") from None


def normalise(expression: str) -> str:
    """Strip, reject empty and overlong input before d20 sees it."""
    text = " ".join(expression.split())
    if not text:
        raise InvalidInput(f"Type a dice expression to roll. {EXAMPLE}")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise InvalidInput(
            f"That expression is {len(text):,} characters long; "
            f"{MAX_EXPRESSION_LENGTH} is the most dmbot will read. {EXAMPLE}"
        )
    if _nesting_depth(text) > MAX_NESTING:
        raise InvalidInput(f"That expression nests parentheses more than {MAX_NESTING} deep. {EXAMPLE}")
    return text


def fold_case(text: str) -> str:
    """`1D20+3` as d20 reads it (its syntax is lower case); annotations such as `[Fire]` keep their case."""
    parts = ANNOTATION.split(text)
    return "".join(part if ANNOTATION.fullmatch(part) else part.translate(ASCII_LOWER) for part in parts)


def split_label(expression: str) -> tuple[str, str | None]:
    """`1d20+5 stealth` → (`1d20+5`, `stealth`): words after the dice, as people type them, are the label.

    Only when the whole text is not dice already; the label starts at the first word that begins with a
    letter and is not itself dice (`1d20 + d6 fire`). The dice part is left to `parse` to judge.
    """
    text = normalise(expression)
    if is_dice(text):
        return text, None
    for start in LABEL_START.finditer(text):
        label = text[start.end() :]
        if not DICE_WORD.match(label):
            return text[: start.start()], label
    return text, None


def is_dice(text: str) -> bool:
    """Whether `text` reads as a dice expression (nothing is rolled)."""
    try:
        parse(fold_case(text))
    except InvalidInput:
        return False
    return True


def dice_in(expression: str) -> int:
    """How many dice the expression rolls before any reroll or explosion (`4d6kh3+1d8`: 5)."""
    tree = parse(fold_case(normalise(expression)))
    return sum(node.num for node in _walk(tree) if isinstance(node, diceast.Dice))


def parse(text: str) -> diceast.Expression:
    try:
        tree = d20.parse(text, allow_comments=False)
    except d20.RollSyntaxError as error:
        raise InvalidInput(_syntax_message(text, error)) from None
    except (RecursionError, ValueError):
        raise InvalidInput(f"`{_quote(text)}` is too long a chain to roll at once. {EXAMPLE}") from None
    _refuse_endless(text, tree)
    return tree


def _syntax_message(text: str, error: d20.RollSyntaxError) -> str:
    position = max(0, int(getattr(error, "col", 1) or 1) - 1)
    got = str(getattr(error, "got", "") or "")
    if position >= len(text) or not got:
        if text.count("(") > text.count(")"):
            return f"`{_quote(text)}` is not a dice expression: close every `(` with a `)`. {EXAMPLE}"
        tail = text.rstrip()[-1:] or text
        return f"`{_quote(text)}` is not a dice expression: a number or dice must follow `{_quote(tail)}`. " + EXAMPLE
    return (
        f"`{_quote(text)}` is not a dice expression: dmbot can't read `{_quote(text[position : position + 12])}` "
        f"(character {position + 1}). {EXAMPLE}"
    )


def _refuse_endless(text: str, tree: diceast.Node) -> None:
    """Exploding or rerolling on every face never ends; d20 spins until 1,000 dice first."""
    for node in _walk(tree):
        if not isinstance(node, diceast.OperatedDice) or not isinstance(node.value, diceast.Dice):
            continue
        faces = range(1, node.value.size + 1) if node.value.size != "%" else range(0, 100, 10)
        for operation in node.operations:
            if operation.op in ENDLESS_OPERATORS and _selects_every_face(operation.sels, faces):
                raise InvalidInput(
                    f"`{_quote(text)}` would {'explode' if operation.op == 'e' else 'reroll'} forever: "
                    f"every face of a d{node.value.size} matches `{operation}`. Example: `/roll 2d6e6`"
                )


def _selects_every_face(selectors: list[diceast.SetSelector], faces: range) -> bool:
    def selected(face: int, selector: diceast.SetSelector) -> bool:
        if selector.cat is None:
            return face == selector.num
        if selector.cat == "<":
            return face < selector.num
        if selector.cat == ">":
            return face > selector.num
        return False  # lowest/highest N: bounded by the dice in the set

    return all(any(selected(face, s) for s in selectors) for face in faces)


def _walk(node: diceast.Node) -> Iterator[diceast.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(getattr(current, "children", []))


def _leads_with_d20(tree: diceast.Node) -> bool:
    node = tree
    while getattr(node, "children", None):
        node = node.children[0]
    return isinstance(node, diceast.Dice) and node.num == 1 and node.size == 20


def _nesting_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")":
            depth = max(0, depth - 1)
    return deepest


def _shorten(breakdown: str, ast: diceast.Node, total: int) -> str:
    """Keep a reply readable: a long breakdown becomes the expression and its total."""
    if len(breakdown) <= MAX_BREAKDOWN_LENGTH:
        return breakdown
    return f"{ast} = `{total}` *(too many dice to list them all)*"


def _critical(result: RollResult) -> str:
    return {d20.CritType.CRIT: "critical", d20.CritType.FAIL: "fumble"}.get(result.crit, "none")


def _d20_reason(error: Exception) -> str:
    return str(error).rstrip(".").lower() or "the arithmetic doesn't work"


def _quote(text: str) -> str:
    """Text safe inside inline code: no backticks, bounded."""
    cleaned = text.replace("`", "ˋ")
    return cleaned if len(cleaned) <= 60 else cleaned[:57] + "…"


@contextmanager
def _d20_random(rng: random.Random) -> Iterator[None]:
    """d20 draws from the `random` module; point it at our source for one synchronous roll.

    A roll never awaits, so no other coroutine can observe the swap.
    """
    original = d20_expression.random
    d20_expression.random = rng
    try:
        yield
    finally:
        d20_expression.random = original
