"""The spread of magnitudes HiGHS will see, checked before a model is built.

HiGHS drops matrix entries of at most 1e-9 (`small_matrix_value`), refuses entries of 1e15 or
more (`large_matrix_value`) and reads bounds and right-hand sides of 1e20 or more as infinite
(`infinite_bound`); between those, a model whose entries span more orders of magnitude than
double precision can balance gives answers that do not add up (a cost of 1e-9 next to one of
1e15 gave "nothing funded" and an objective of £1 quadrillion). So each value that becomes an
entry of the constraint matrix, a bound or a right-hand side is located in the scenario, and a
scenario outside these limits is refused with the values named, before anything is solved.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from pbo.models.errors import InputError
from pbo.optimizer.formulation.data import ModelData

SMALLEST = 1e-9
"""A matrix entry of at most this is read by HiGHS as 0 (its small_matrix_value)."""
LARGEST = 1e15
"""A matrix entry of at least this is refused by HiGHS (its large_matrix_value)."""
INFINITE = 1e20
"""A bound or right-hand side of at least this is read by HiGHS as no limit (infinite_bound)."""
ORDERS = 10
"""Most orders of magnitude between the smallest and largest matrix entry pbo accepts."""
SMALLEST_DISCOUNT = 1e-6
"""Smallest discount factor accepted (it multiplies every value of its year)."""
SHOWN = 4
"""Values named per kind of problem; more are counted."""


@dataclass(frozen=True)
class Located:
    where: str
    """Where the value is in the scenario: 'interventions[x].unit_cost'."""
    value: float

    def __str__(self) -> str:
        return f"{self.where} {self.value:g}"


def _years(where: str, values: dict[int, float]) -> Iterator[Located]:
    """The smallest and largest non-zero value of a profile (year named when it varies)."""
    acc = _Extremes()
    for t, v in values.items():
        acc.add(where, t, v)
    yield from acc.located()


class _Extremes:
    """The smallest and largest non-zero |value| seen at each place, and their years."""

    def __init__(self) -> None:
        self.at: dict[str, list[Any]] = {}

    def add(self, where: str, year: int, value: float) -> None:
        if not value:
            return
        seen = self.at.get(where)
        if seen is None:
            self.at[where] = [year, value, year, value]
        elif abs(value) < abs(seen[1]):
            seen[0:2] = year, value
        elif abs(value) > abs(seen[3]):
            seen[2:4] = year, value

    def located(self) -> Iterator[Located]:
        for where, (lo_t, lo, hi_t, hi) in self.at.items():
            if abs(lo) == abs(hi):
                yield Located(where, lo)
            else:
                yield Located(f"{where} in {lo_t}", lo)
                yield Located(f"{where} in {hi_t}", hi)


def coefficients(d: ModelData) -> Iterator[Located]:
    """Every scenario value that becomes a matrix entry (or an objective coefficient)."""
    sc = d.scenario
    acc = _Extremes()
    for (i, t), v in d.unit_cost.items():
        acc.add(f"interventions[{i}].unit_cost", t, v)
    for (i, t), v in d.fixed_cost.items():
        acc.add(f"interventions[{i}].fixed_cost", t, v)
    adjusted = {iv.id: "" if iv.adjustment == 1 else
                " (after optimism bias, deadweight, attribution)" for iv in sc.interventions}
    for (p, i, t), v in d.adjusted.items():
        acc.add(f"interventions[{i}].benefits.{p}{adjusted[i]}", t, v)
    partial = {(iv.id, p) for iv in sc.interventions for p in iv.benefits
               if iv.cashable_share(p) not in (0.0, 1.0)}
    for (p, i, t), v in d.cashable.items():
        if (i, p) in partial:
            acc.add(f"interventions[{i}].benefits.{p} times cashable", t, v)
    for (i, t), v in d.wider_value.items():
        acc.add(f"interventions[{i}].economic_value + social_value{adjusted[i]}", t, v)
    yield from acc.located()
    for iv in sc.interventions:
        at = f"interventions[{iv.id}]"
        for name in ("min_units", "max_units"):  # select's coefficient in unit_min / unit_max
            if getattr(iv, name):
                yield Located(f"{at}.{name}", getattr(iv, name))
        for name, v in iv.outcomes.items():
            if v:
                yield Located(f"{at}.outcomes.{name}", v)


def limits(d: ModelData) -> Iterator[Located]:
    """Every scenario value that becomes a bound or a right-hand side."""
    sc = d.scenario
    for iv in sc.interventions:
        yield Located(f"interventions[{iv.id}].max_units", iv.max_units)
    for partner in sc.partners:
        budget = dict(zip(d.years, partner.poolable_budget, strict=True))
        yield from _years(f"partners[{partner.id}].poolable_budget", budget)
        if partner.carry_over:
            yield Located(f"partners[{partner.id}].poolable_budget (running total)",
                          sum(partner.poolable_budget))
    for target in sc.targets:
        for name in ("min", "max"):
            if getattr(target, name) is not None:
                yield Located(f"targets[{target.id}].{name}", getattr(target, name))
    for rule in sc.red_lines:
        for name in ("amount", "min_units"):
            if getattr(rule, name, None) is not None:
                yield Located(f"red_lines[{rule.id}].{name}", getattr(rule, name))


def _listed(values: list[Located]) -> str:
    shown = ", ".join(map(str, values[:SHOWN]))
    return shown + (f" and {len(values) - SHOWN} more" if len(values) > SHOWN else "")


def _entry_tables(d: ModelData) -> list[tuple[dict[Any, float], Callable[[Any], str], int]]:
    """The model data's tables of matrix entries, each with how a key names its intervention
    and the lever that scales it (1 benefits, 2 costs): the entries `_all_within` checks,
    with `_unscaled`'s."""
    return [(d.unit_cost, lambda key: key[0], 2), (d.fixed_cost, lambda key: key[0], 2),
            (d.adjusted, lambda key: key[1], 1), (d.cashable, lambda key: key[1], 1),
            (d.wider_value, lambda key: key[0], 1)]


def _unscaled(iv: Any) -> list[float]:
    """An intervention's other matrix entries (select's coefficients in unit_min and
    unit_max, its outcomes), which no benefit or cost factor scales."""
    return [iv.max_units, iv.min_units, *iv.outcomes.values()]


def _all_within(d: ModelData) -> bool:
    """The quick answer for the usual scenario: every value within every limit (the values
    are located only when one is not)."""
    entries = np.fromiter(itertools.chain(
        *(table.values() for table, _, _ in _entry_tables(d)),
        *(_unscaled(iv) for iv in d.scenario.interventions)), dtype=np.float64)
    entries = np.abs(entries[entries != 0])
    if entries.size and (entries.max() >= LARGEST or entries.min() <= SMALLEST
                         or entries.max() > 10.0 ** ORDERS * entries.min()):
        return False
    bounds = np.fromiter((abs(v.value) for v in limits(d)), dtype=np.float64)
    return not (bounds.size and bounds.max() >= INFINITE)


class EntrySpread:
    """The matrix entries `_all_within` checks, each with the intervention and lever
    (benefits or costs) whose factor would move it: for the break-even search, which asks
    at each factor whether a build would refuse the scenario with one intervention's benefits
    (or costs) times it. `within` answers without building when the answer is surely no;
    near a limit it says False, and the caller checks the build as before."""

    MARGIN = 1e-6
    """How far inside every limit the factored entries must be for `within` to answer."""

    def __init__(self, d: ModelData):
        index = {i: k for k, i in enumerate(d.interventions)}
        values: list[float] = []
        owner: list[int] = []
        lever: list[int] = []
        for table, whose, kind in _entry_tables(d):
            for key, v in table.items():
                values.append(v)
                owner.append(index[whose(key)])
                lever.append(kind)
        for iv in d.scenario.interventions:  # scaled by no factor
            fixed = _unscaled(iv)
            values += fixed
            owner += [-1] * len(fixed)
            lever += [0] * len(fixed)
        every = np.abs(np.asarray(values, dtype=np.float64))
        keep = every != 0
        self.values, self.owner = every[keep], np.asarray(owner, dtype=np.int64)[keep]
        self.lever = np.asarray(lever, dtype=np.int8)[keep]
        self.index = index

    def within(self, iid: str, lever: str, factor: float) -> bool:
        """True when every entry, with `iid`'s benefits (`benefit_scale`) or costs
        (`cost_scale`) times `factor` > 0, is within `_all_within`'s limits by MARGIN."""
        if not self.values.size:
            return True
        moved = (self.owner == self.index[iid]) & (
            self.lever == (1 if lever == "benefit_scale" else 2))
        v = np.where(moved, self.values * factor, self.values)
        top, low = float(v.max()), float(v.min())
        m = 1.0 + self.MARGIN
        return (top * m < LARGEST and low > SMALLEST * m
                and top * m < 10.0 ** ORDERS * low)


def numeric_problems(d: ModelData) -> list[str]:
    """Each range HiGHS cannot solve reliably, with the values named by where they are."""
    problems = []
    if d.years and d.discount[d.years[-1]] < SMALLEST_DISCOUNT:
        last = d.years[-1]
        problems.append(
            f"discount_rate {d.scenario.discount_rate:g} over {len(d.years)} years makes "
            f"{last}'s discount factor {d.discount[last]:.3g}, below the "
            f"{SMALLEST_DISCOUNT:g} pbo solves reliably; use a lower rate or a shorter horizon")
    if _all_within(d):
        return problems
    unlimited = [v for v in limits(d) if abs(v.value) >= INFINITE]
    if unlimited:
        problems.append(f"{_listed(unlimited)}: HiGHS reads {INFINITE:g} and above as no limit "
                        "at all, so the plan would not be what the scenario says; give a real "
                        f"limit (below {INFINITE:g})")
    seen = {v.where for v in unlimited}  # said once, as no limit
    entries = [v for v in coefficients(d) if v.value and v.where not in seen]
    large = [v for v in entries if abs(v.value) >= LARGEST]
    if large:
        problems.append(f"{_listed(large)}: HiGHS cannot use values of {LARGEST:g} or more in "
                        "the model; express money in thousands or millions, or change what "
                        "one unit is")
    small = [v for v in entries if abs(v.value) <= SMALLEST]
    if small:
        problems.append(f"{_listed(small)}: HiGHS reads values of {SMALLEST:g} or less as 0; "
                        "use a larger unit (or 0 if it is meant to be nothing)")
    if entries:
        low = min(entries, key=lambda v: abs(v.value))
        high = max(entries, key=lambda v: abs(v.value))
        span = abs(high.value) / abs(low.value)
        if span > 10.0 ** ORDERS:
            problems.append(
                f"{low} and {high} span {_orders(span)} orders of magnitude; pbo solves "
                f"reliably up to {ORDERS} (1 to {10.0 ** ORDERS:g}): express money in "
                "thousands or millions, or change what one unit is, so the values come closer")
    return problems


def _orders(span: float) -> str:
    return f"{math.log10(span):.0f}"


def check_numerics(d: ModelData) -> None:
    """Refuse (InputError, exit 1) a scenario whose magnitudes HiGHS cannot solve reliably."""
    problems = numeric_problems(d)
    if problems:
        raise InputError(problems)
