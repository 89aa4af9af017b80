"""Named checks that collect every problem in a scenario before failing once.

The checks read plain data (a dict as loaded from YAML/JSON, or a model dump), and tolerate
anything malformed, so that reference problems are reported together with type problems.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypeGuard

from pydantic import ValidationError

from pbo.models.base import EARLIEST_YEAR, LATEST_YEAR
from pbo.models.errors import abridged

SECTIONS = ("partners", "interventions", "targets", "red_lines")


class ScenarioProblems(ValueError):
    """Raised inside validation with every cross-reference problem found."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def item_id(item: Any) -> str | None:
    """An item's id as problems quote it (abridged), or None when it has no text id."""
    ident = item.get("id") if isinstance(item, dict) else None
    return abridged(ident) if isinstance(ident, str) and ident else None


def item_label(item: Any, position: int) -> str:
    """How problems name an item of a list: by its id where it has one, else its position."""
    return item_id(item) or str(position)


def did_you_mean(name: object, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f" — did you mean '{close[0]}'?" if close else ""


def _items(data: Mapping[str, Any], section: str) -> list[tuple[str, dict[str, Any]]]:
    """(location, item) for each mapping in a section, located by id where it has one."""
    out: list[tuple[str, dict[str, Any]]] = []
    items = data.get(section)
    if not isinstance(items, list):
        return out
    for k, item in enumerate(items):
        if isinstance(item, dict):
            out.append((f"{section}[{item_label(item, k)}]", item))
    return out


def _ids(data: Mapping[str, Any], section: str) -> list[str]:
    return [item["id"] for _, item in _items(data, section) if isinstance(item.get("id"), str)]


def _whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


class _Context:
    """What every named check needs: the data, the known ids, the horizon and `say`."""

    def __init__(self, data: Mapping[str, Any]):
        self.data = data
        self.problems: list[str] = []
        self.partners = set(_ids(data, "partners"))
        self.interventions = set(_ids(data, "interventions"))
        start, years = data.get("start_year"), data.get("years")
        self.horizon = (range(start, start + years) if _whole(start) and _whole(years)
                        and years > 0 else None)

    def say(self, problem: str) -> None:
        self.problems.append(problem)

    def partner_ref(self, where: str, value: object) -> None:
        if isinstance(value, str) and value not in self.partners:
            self.say(f"{where}: unknown partner '{abridged(value)}'"
                     f"{did_you_mean(value, self.partners)}")

    def intervention_ref(self, where: str, value: object) -> None:
        if isinstance(value, str) and value not in self.interventions:
            self.say(f"{where}: unknown intervention '{abridged(value)}'"
                     f"{did_you_mean(value, self.interventions)}")

    def year_ref(self, where: str, value: object) -> None:
        """A year outside the horizon; one that is no year at all (1800) is its field's
        problem, said once there."""
        h = self.horizon
        if (h is not None and _whole(value) and value not in h
                and EARLIEST_YEAR <= value <= LATEST_YEAR):
            self.say(f"{where}: year {value} is outside the horizon {h.start}..{h.stop - 1}")

    def profile(self, where: str, value: object) -> None:
        h = self.horizon
        if h is None:
            return
        if isinstance(value, list | tuple) and len(value) != len(h):
            self.say(f"{where}: the profile has {len(value)} entries but the horizon has "
                     f"{len(h)} years ({h.start}..{h.stop - 1})")
        elif isinstance(value, dict):
            for year in value:
                with contextlib.suppress(TypeError, ValueError):
                    self.year_ref(where, int(year))


def _min_above_max(where: str, lo: object, hi: object, what: tuple[str, str],
                   ctx: _Context) -> None:
    if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
        ctx.say(f"{where}: {what[0]} {lo:g} is above {what[1]} {hi:g}")


def check_duplicate_ids(ctx: _Context) -> None:
    for section in SECTIONS:
        seen: set[str] = set()
        for where, item in _items(ctx.data, section):
            ident = item.get("id")
            if isinstance(ident, str):
                if ident in seen:
                    ctx.say(f"{where}: duplicate id '{abridged(ident)}'")
                seen.add(ident)


def check_partners(ctx: _Context) -> None:
    for where, p in _items(ctx.data, "partners"):
        ctx.profile(f"{where}.poolable_budget", p.get("poolable_budget"))


def _costs_something(profile: Any) -> bool:
    """A raw cost profile (number, list or {year: value}) with a non-zero entry."""
    values = profile.values() if isinstance(profile, dict) else \
        profile if isinstance(profile, list) else [profile]
    return any(isinstance(v, int | float) and v != 0 for v in values)


def check_interventions(ctx: _Context) -> None:
    for where, i in _items(ctx.data, "interventions"):
        for field in ("fixed_cost", "unit_cost", "economic_value", "social_value"):
            ctx.profile(f"{where}.{field}", i.get(field))
        benefits = i.get("benefits")
        if isinstance(benefits, dict):
            for p, b in benefits.items():
                ctx.partner_ref(f"{where}.benefits", p)
                ctx.profile(f"{where}.benefits.{p}", b)
        cashable = i.get("cashable")
        if isinstance(cashable, dict):
            for p in cashable:
                ctx.partner_ref(f"{where}.cashable", p)
        for p in i.get("funders") or []:
            ctx.partner_ref(f"{where}.funders", p)
        if i.get("funders") == [] and any(_costs_something(i.get(f))
                                          for f in ("fixed_cost", "unit_cost")):
            ctx.say(f"{where}.funders: empty, so no partner can pay its costs (leave funders "
                    "out to let every partner pay)")
        for field in ("requires", "excludes"):
            for j in i.get(field) or []:
                ctx.intervention_ref(f"{where}.{field}", j)
                if j == i.get("id"):
                    ctx.say(f"{where}.{field}: an intervention cannot {field[:-1]} itself")
        _min_above_max(where, i.get("min_units"), i.get("max_units"),
                       ("min_units", "max_units"), ctx)


def check_targets(ctx: _Context) -> None:
    outcome_names = {name for _, i in _items(ctx.data, "interventions")
                     if isinstance(i.get("outcomes"), dict) for name in i["outcomes"]}
    for where, t in _items(ctx.data, "targets"):
        ctx.partner_ref(f"{where}.partner", t.get("partner"))
        if t.get("min") is None and t.get("max") is None:
            ctx.say(f"{where}: a target needs a min, a max or both")
        _min_above_max(where, t.get("min"), t.get("max"), ("min", "max"), ctx)
        period = t.get("period", "horizon")
        if isinstance(period, int):
            ctx.year_ref(f"{where}.period", period)
        if t.get("measure") == "outcome":
            name = t.get("outcome")
            if not name:
                ctx.say(f"{where}.outcome: measure 'outcome' needs the outcome's name")
            elif name not in outcome_names:
                ctx.say(f"{where}.outcome: no intervention has outcome '{name}'"
                        f"{did_you_mean(name, outcome_names)}")
            if period != "horizon":
                ctx.say(f"{where}.period: outcome targets are not time-profiled and take no "
                        "period")
            if t.get("partner") is not None:
                ctx.say(f"{where}.partner: an outcome target counts the outcome over the "
                        "whole partnership, so it takes no partner (a partner's part of an "
                        "outcome would be units times its share of the cost, which a linear "
                        "model cannot hold exactly); to target the outcome of some "
                        "interventions only, give those an outcome of its own name and target "
                        "that")
        elif t.get("outcome") is not None:
            ctx.say(f"{where}.outcome: only measure 'outcome' takes an outcome name")


def check_red_lines(ctx: _Context) -> None:
    interventions = {i.get("id"): i for _, i in _items(ctx.data, "interventions")}
    for where, r in _items(ctx.data, "red_lines"):
        if "partner" in r:
            ctx.partner_ref(f"{where}.partner", r["partner"])
        if "intervention" in r:
            ctx.intervention_ref(f"{where}.intervention", r["intervention"])
        for j in r.get("interventions") or []:
            ctx.intervention_ref(f"{where}.interventions", j)
        for field in ("from_year", "first_year", "last_year", "year"):
            ctx.year_ref(f"{where}.{field}", r.get(field))
        first, last = r.get("first_year"), r.get("last_year")
        if isinstance(first, int) and isinstance(last, int) and first > last:
            ctx.say(f"{where}: first_year {first} is after last_year {last}")
        if r.get("rule") == "must_fund":
            target = interventions.get(r.get("intervention")) or {}
            _min_above_max(f"{where}.min_units", r.get("min_units"), target.get("max_units"),
                           ("min_units", "the intervention's max_units"), ctx)


def check_cost_sharing(ctx: _Context) -> None:
    sharing = ctx.data.get("cost_sharing")
    if isinstance(sharing, dict):
        _check_fixed_shares(sharing, ctx.data, ctx.partners, ctx.interventions, ctx.say)


CHECKS = (check_duplicate_ids, check_partners, check_interventions, check_targets,
          check_red_lines, check_cost_sharing)


def scenario_problems(data: Mapping[str, Any]) -> list[str]:
    """Every duplicate id, dangling reference, horizon or consistency problem, located."""
    ctx = _Context(data)
    for check in CHECKS:
        check(ctx)
    return ctx.problems


def _check_fixed_shares(sharing: dict[str, Any], data: Mapping[str, Any], partners: set[str],
                        interventions: set[str], say: Any) -> None:
    shares = sharing.get("shares")
    if sharing.get("rule") != "fixed":
        if shares:
            say("cost_sharing.shares: shares are used only with rule 'fixed'")
        return
    if not isinstance(shares, dict):
        say("cost_sharing.shares: rule 'fixed' needs shares {intervention: {partner: share}}")
        return
    funders = {i.get("id"): i.get("funders") for _, i in _items(data, "interventions")}
    for i in interventions - set(shares):
        say(f"cost_sharing.shares: no shares for intervention '{i}'")
    for i, split in shares.items():
        where = f"cost_sharing.shares[{i}]"
        if i not in interventions:
            say(f"{where}: unknown intervention '{i}'{did_you_mean(i, interventions)}")
            continue
        if not isinstance(split, dict):
            continue
        allowed = funders.get(i)
        for p, share in split.items():
            if p not in partners:
                say(f"{where}: unknown partner '{p}'{did_you_mean(p, partners)}")
            elif allowed is not None and p not in allowed and share:
                say(f"{where}: partner '{p}' is not one of the intervention's funders")
        total = sum(v for v in split.values() if isinstance(v, int | float))
        if abs(total - 1.0) > 1e-6:
            say(f"{where}: shares sum to {total:g}, not 1")


def located(loc: tuple[Any, ...], data: Any, whole: str = "scenario") -> str:
    """pydantic's ('interventions', 3, 'benefits') as 'interventions[troubled_families].benefits'
    (an item by its id where it has one, else its index), for a scenario or any file pbo
    reads; `whole` when the place is the file itself."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            item = node[part] if 0 <= part < len(node) else None
            out += f"[{item_label(item, part)}]"
            node = item
            continue
        if isinstance(node, dict) and part not in node and isinstance(node.get("rule"), str) \
                and part == node["rule"]:
            continue  # the discriminator's tag, not a place in the file
        out += f".{abridged(str(part))}" if out else abridged(str(part))
        node = node.get(part) if isinstance(node, dict) else None
    return out or whole


def validation_problems(exc: ValidationError, data: Any, prefix: tuple[str | int, ...] = (),
                        cross_checks: bool = True) -> list[str]:
    """Located, plain messages for a pydantic error (and any collected reference problems).
    `prefix`: where the validated item sits in `data` (an item built on its own, such as a
    Partner, is located as `partners[ID]`); `cross_checks`: also run the scenario's checks."""
    from pbo.models.scenario import RED_LINE_RULES

    problems: list[str] = []
    reference_checked = not cross_checks
    for err in exc.errors():
        error = (err.get("ctx") or {}).get("error")
        if isinstance(error, ScenarioProblems):
            problems.extend(error.problems)
            reference_checked = True
            continue
        err["loc"] = (*prefix, *err["loc"])
        where = located(tuple(err["loc"]), data)
        kind, msg = err["type"], err["msg"]
        if kind == "extra_forbidden":
            field = str(err["loc"][-1])
            msg = "unknown field"
            known = _known_fields(tuple(err["loc"][:-1]), data)
            msg += did_you_mean(field, known)
        elif kind == "missing" or err.get("input") is None and kind in (
                "string_type", "int_type", "float_type", "literal_error"):
            msg = "required field is missing" if kind == "missing" else "is empty: give a value"
        elif kind == "too_short" and err.get("input") == []:
            msg = "needs at least one entry"
        elif kind in ("string_type", "int_type", "float_type", "bool_type"):
            wanted = {"string_type": "text", "int_type": "a whole number",
                      "float_type": "a number", "bool_type": "true or false"}[kind]
            msg = f"must be {wanted}, not {err.get('input')!r}"
        elif kind == "union_tag_invalid":
            tag = (err.get("ctx") or {}).get("tag")
            msg = (f"unknown rule '{tag}'{did_you_mean(tag, RED_LINE_RULES)} "
                   f"(rules: {', '.join(RED_LINE_RULES)})")
        elif kind == "union_tag_not_found":
            msg = "a red line needs a rule"
        elif kind == "literal_error":
            msg = f"{msg}; got {err.get('input')!r}"
            expected = (err.get("ctx") or {}).get("expected", "")
            options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
            msg += did_you_mean(err.get("input"), options)
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        problems.append(f"{where}: {msg}")
    if not reference_checked and isinstance(data, dict):
        problems.extend(p for p in scenario_problems(data) if p not in problems)
    return problems


def _known_fields(loc: tuple[Any, ...], data: Any) -> list[str]:
    from pbo.models import scenario as s

    section_models = {"partners": s.Partner, "interventions": s.Intervention,
                      "targets": s.Target, "cost_sharing": s.CostSharing}
    if not loc:
        return list(s.Scenario.model_fields)
    if loc[0] == "red_lines":
        node = data.get("red_lines") if isinstance(data, dict) else None
        rule = None
        if isinstance(node, list) and len(loc) > 1 and isinstance(loc[1], int) \
                and loc[1] < len(node) and isinstance(node[loc[1]], dict):
            rule = node[loc[1]].get("rule")
        models: tuple[Any, ...] = s.RedLine.__origin__.__args__  # type: ignore[attr-defined]
        for model in models:
            if model.model_fields["rule"].annotation.__args__[0] == rule:
                return list(model.model_fields)
        return []
    found: Any = section_models.get(loc[0])
    return list(found.model_fields) if found else []


def _detail(message: str) -> str | None:
    """What a problem is about within its location: the year it starts with, or else the first
    name it quotes (an unknown partner), as readers key it: 'LOC@2016', "LOC@'council'"."""
    found = re.match(r"\s*year (\d{4})\b|[^']*('[^']*')", message)
    return (found.group(1) or found.group(2)) if found else None


def place_prefixes(loc: str) -> list[str]:
    """'a[b].c' -> ['a[b].c', 'a[b]', 'a']: the location and each enclosing one, longest first."""
    cuts = [k for k, ch in enumerate(loc) if ch in ".[" and k > 0]
    return [loc] + [loc[:k] for k in reversed(cuts)]


def locate_problems(problems: list[str], where: dict[str, str]) -> list[str]:
    """Append where each problem sits in the file ('(line 57)', or '(sheet S, row R, column
    C)' in a workbook), as the reader recorded it in `where`: the place of its year or quoted
    name where known, else of its location or the nearest enclosing one."""
    out = []
    for problem in problems:
        loc, _, message = problem.partition(":")
        place = where.get(f"{loc}@{_detail(message)}") or next(
            (where[k] for k in place_prefixes(loc) if k in where), None)
        out.append(f"{problem} ({place})" if place else problem)
    return out
