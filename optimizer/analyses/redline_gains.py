"""Who gains from relaxing a red line, and whether the gain can be split so nobody loses.

For one red line, on the loaded HiGHS model (docs/FORMULATION.md, "Who gains from each red
line"): its rows are freed, the model re-solved from the base plan, and the scenario's
cost-sharing rule applied to the relaxed plan; each partner's discounted net cashable saving
is compared with today's (the base plan, rule applied). Then, with the relaxed plan held, a
linear programme over who pays (the cost-sharing rule's rows freed: the question is what a
new split could do) maximises the smallest partner gain over today's position.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pbo.optimizer.formulation.payments import spend_terms
from pbo.optimizer.solving.held import hold_plan, net_rows
from pbo.optimizer.solving.highs import HighsSession, Outcome, restore, values
from pbo.optimizer.solving.plan import objective_value, red_line_rows

Verdict = Literal["no_change", "all_gain", "all_gain_if_resplit", "someone_loses"]
NOISE = 0.5
"""Gains within £0.50 are read as none (money shown to the pound)."""


@dataclass(frozen=True)
class PartnerGains:
    """One red line relaxed: each partner's change in discounted net cashable savings."""

    verdict: Verdict
    gains: dict[str, float]
    """With the scenario's cost-sharing rule re-applied to the relaxed plan."""
    smallest: float
    """The largest smallest gain any split of the relaxed plan gives (negative: a loss no
    split avoids)."""
    split_gains: dict[str, float] = field(default_factory=dict)
    """Each partner's gain under that best split."""
    split_pays: dict[str, float] = field(default_factory=dict)
    """What each partner pays (NPV) under that best split, less what it pays under the rule."""
    words: str = ""


def positions(session: HighsSession) -> dict[str, float]:
    """Each partner's discounted net cashable saving in the plan loaded in the Pyomo model."""
    now = {c: v.value or 0.0 for v, c in session.columns()}
    return {p: sum(k * now[c] for c, k in row.items()) for p, row in net_rows(session).items()}


def payments(session: HighsSession) -> dict[str, float]:
    m, d = session.built.m, session.built.data
    out = dict.fromkeys(d.partners, 0.0)
    for p in d.partners:  # in whichever formulation the model was built
        for t in d.years:
            out[p] += d.discount[t] * sum(k * (var.value or 0.0)
                                          for k, var in spend_terms(m, d, p, t))
    return out


def _best_split(session: HighsSession, today: dict[str, float]
                ) -> tuple[float, dict[str, float], dict[str, float]] | None:
    """max z s.t. z <= net_p - today_p for every partner, the plan held and who pays free."""
    m = session.built.m
    sharing = [session.row_of(r) for r in getattr(m, "cost_sharing", {}).values()]
    inf = float("inf")
    with session.edits() as edits:
        hold_plan(session, edits)
        edits.free_rows(sharing)
        floor = edits.add_col(-inf, inf)
        for p, row in net_rows(session).items():
            edits.add_row(-inf, -today[p], {floor: 1.0, **{c: -k for c, k in row.items()}})
        edits.set_objective({floor: 1.0}, maximise=True)
        outcome = session.run()
        if not outcome.has_solution:
            return None
        z = float(session.highs.getSolution().col_value[floor])
    now = positions(session)
    return z, {p: now[p] - today[p] for p in today}, payments(session)


def relax_for_partners(session: HighsSession, red_line_id: str, today: dict[str, float],
                       snapshot: dict[int, float | None],
                       apply_rule: Callable[[HighsSession], object]
                       ) -> tuple[Outcome, float | None, PartnerGains | None]:
    """The red line relaxed: (HiGHS outcome, relaxed stage-1 objective, partner gains)."""
    m = session.built.m
    rows = [session.row_of(r) for r in red_line_rows(m, red_line_id)]
    restore(m, snapshot)
    with session.edits() as edits:
        edits.free_rows(rows)
        outcome = session.run(start={})
        if not outcome.has_solution:
            restore(m, snapshot)
            return outcome, None, None
        objective = objective_value(session.built)
        apply_rule(session)
        relaxed = values(m)
        gains = {p: v - today[p] for p, v in positions(session).items()}
        paid = payments(session)
        best = _best_split(session, today)
        restore(m, relaxed)
    restore(m, snapshot)
    if best is None:
        smallest, split_gains, split_pays = min(gains.values()), gains, {}
    else:
        smallest, split_gains, pays = best
        split_pays = {p: pays[p] - paid[p] for p in pays}
    verdict: Verdict
    if all(abs(g) <= NOISE for g in gains.values()):
        verdict = "no_change"
    elif min(gains.values()) >= -NOISE:
        verdict = "all_gain"
    elif smallest >= -NOISE:
        verdict = "all_gain_if_resplit"
    else:
        verdict = "someone_loses"
    return outcome, objective, PartnerGains(verdict=verdict, gains=gains, smallest=smallest,
                                            split_gains=split_gains, split_pays=split_pays)


def in_words(g: PartnerGains, names: dict[str, str], money: Callable[[float], str]
             ) -> tuple[str, str]:
    """The verdict as a finance director would say it: (in full, in short)."""
    if g.verdict == "no_change":
        return "no partner's position changes", SHORT["no_change"]
    if g.verdict == "all_gain":
        least = min(g.gains.values())
        if least <= NOISE:  # some gain nothing: say who gains, and that nobody loses
            gainers = [names[p] for p, v in g.gains.items() if v > NOISE]
            return (f"no partner loses; {' and '.join(gainers)} "
                    f"{'gains' if len(gainers) == 1 else 'gain'}", "no partner loses")
        return f"every partner gains (at least {money(least)} each)", SHORT["all_gain"]
    if g.verdict == "all_gain_if_resplit":
        moves = [f"{names[p]} pays {money(abs(v))} {'more' if v > 0 else 'less'}"
                 for p, v in sorted(g.split_pays.items(), key=lambda kv: -kv[1])
                 if abs(v) > NOISE]
        return ("a gain for all only if the split changes: " + "; ".join(moves)
                + f" (then every partner gains at least {money(max(0.0, g.smallest))})",
                SHORT["all_gain_if_resplit"])
    gainers = [names[p] for p, v in g.gains.items() if v > NOISE]
    losers = [names[p] for p, v in g.split_gains.items() if v <= g.smallest + NOISE]
    them = " and ".join(losers)
    if not gainers:  # the gain is in value no partner can cash
        return (f"no partner gains in cash and {them} "
                f"{'loses' if len(losers) == 1 else 'each lose'} at least "
                f"{money(-g.smallest)} whatever the split (the partnership's gain is not "
                "cashable)", f"at {them}'s expense, whatever the split")
    who = " and ".join(gainers)
    return (f"{who} {'gains' if len(gainers) <= 1 else 'gain'} only at {them}'s expense, "
            f"whatever the split (at best {losers[0] if len(losers) == 1 else 'each'} loses "
            f"{money(-g.smallest)})", f"at {them}'s expense, whatever the split")


def rule_applier(session: HighsSession) -> Callable[[HighsSession], object]:
    """The scenario's cost-sharing rule, as a step to run on a plan loaded in `session`:
    the fairness stage for `optimise`; the split nearest the base game's least core for
    `core`; nothing for `benefit_share` and `fixed` (their rows already decide)."""
    sc = session.built.data.scenario
    rule = sc.cost_sharing.rule
    if rule == "optimise":
        from pbo.optimizer.solving.plan import fairness_stage

        return fairness_stage
    if rule == "core" and session.built.data.fund_index:
        from pbo.optimizer.analyses.coalitions import CoalitionGame
        from pbo.optimizer.analyses.core_split import split_to_least_core
        from pbo.optimizer.analyses.shares import WorstCoalition, least_core

        game = CoalitionGame(sc, session.options)
        finder = WorstCoalition(game)
        core = least_core(game, finder=finder)
        return lambda s: split_to_least_core(s, game, core, finder)
    return lambda s: None


def label(rule: object) -> str:
    """A red line as a board reads it: its description (or id) and its owner."""
    rid = str(getattr(rule, "id", ""))
    text = str(getattr(rule, "description", "")) or rid
    owner = str(getattr(rule, "owner", ""))
    return f"{text} ({owner})" if owner else text


SHORT = {"all_gain": "every partner gains",
         "all_gain_if_resplit": "every partner gains if the split changes",
         "no_change": "no partner's position changes"}


def headline(result: object, scenario: object) -> str:
    """'Fight for A first (£x a year to the partnership, every partner gains), then B.'"""
    from pbo.optimizer.present.tables import money

    cur = str(getattr(scenario, "currency", "GBP"))
    rows = [r for r in getattr(result, "red_lines", ()) if r.value is not None
            and r.value > NOISE]
    unblock = [r for r in getattr(result, "red_lines", ()) if r.status == "unblocks"]
    owners = getattr(result, "owners", {})
    if unblock:
        return (f"Fight for {owners.get(unblock[0].id, unblock[0].id)} first: without it "
                "there is no plan that meets every target and red line.")
    if not rows:
        return "No red line holds the partnership back: relaxing any one alone gains nothing."
    annuity = float(getattr(result, "annuity", 1.0)) or 1.0

    def part(r: object) -> str:
        say = str(getattr(r, "partners_short", ""))
        a_year = money(float(getattr(r, "value", 0.0)) / annuity, cur)
        return (f"{owners.get(getattr(r, 'id', ''), getattr(r, 'id', ''))} first ({a_year} a "
                f"year to the partnership{', ' + say if say else ''})")

    text = f"Fight for {part(rows[0])}"
    if len(rows) > 1:
        text += ", then " + ", then ".join(
            owners.get(r.id, r.id) for r in rows[1:3])
    return text + "."
