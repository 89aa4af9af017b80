"""Base model and the reusable annotated types of the scenario format."""

from __future__ import annotations

import math
from contextvars import ContextVar
from importlib import import_module
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    ModelWrapValidatorHandler,
    PlainValidator,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from pbo.models.errors import InputError, abridged

_DEPTH: ContextVar[int] = ContextVar("pbo_validation_depth", default=0)
"""How many scenario objects are being validated, one inside another, in this context."""


class StrictModel(BaseModel):
    """Every scenario object: unknown keys are errors, and a validated object never changes.

    Built in code (`Partner(...)`, `Scenario(**data)`, `Scenario.model_validate(data)`) it is
    checked as a file is: a problem raises pbo's InputError with every located message
    ("partners[police].poolable_budget: ..."), never pydantic's ValidationError.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    _section: ClassVar[str] = ""
    """Where an item of this type sits in a scenario ('partners'), to locate its problems."""
    _listed: ClassVar[bool] = True
    """The section is a list of items (False: one mapping, such as cost_sharing)."""

    @model_validator(mode="wrap")
    @classmethod
    def _input_errors(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        """The outermost object validated raises InputError with every located problem; an
        item validated inside a scenario leaves its problems to the scenario, which collects
        them all."""
        if isinstance(data, cls):  # validated already (revalidate_instances is 'never')
            return handler(data)
        if _DEPTH.get() == 0:
            # Python's cyclic garbage collector paused while the whole object is validated
            # (Pyomo's PauseGC, from pyomo.common alone): what validation makes lives on,
            # and the collector's passes over it took 40% of reading 5,000 interventions.
            from pyomo.common.gc_manager import PauseGC

            with PauseGC():
                return cls._validated(data, handler)
        return cls._validated(data, handler)

    @classmethod
    def _validated(cls, data: Any, handler: ModelWrapValidatorHandler[Self]) -> Self:
        depth = _DEPTH.get()
        token = _DEPTH.set(depth + 1)
        data = cls._prepared(data) if depth == 0 else data
        try:
            validated = handler(data)
        except ValidationError as exc:
            if depth:
                raise
            raise cls._input_error(exc, data) from None
        finally:
            _DEPTH.reset(token)
        problems = validated._check_and_normalise()
        if problems:
            if depth:
                raise ValueError("; ".join(problems))
            raise InputError(problems)
        return validated

    def _check_and_normalise(self) -> list[str]:
        """The problems only the whole object shows (the scenario: its cross-references);
        with none, put it in the form the engine reads (the scenario: profiles expanded)."""
        return []

    @classmethod
    def _prepared(cls, data: Any) -> Any:
        """The input as validation reads it (the scenario turns items built in code into
        plain data, so that one path checks and expands both)."""
        return data

    @classmethod
    def _input_error(cls, exc: ValidationError, data: Any) -> InputError:
        # (imported by name: pbo.models.checks reads the scenario types, which build on this)
        validation_problems = import_module("pbo.models.checks").validation_problems
        if not cls._section:
            return InputError(validation_problems(exc, data))
        where: tuple[str | int, ...] = (cls._section, 0) if cls._listed else (cls._section,)
        wrapped = {cls._section: [data] if cls._listed else data}
        return InputError(validation_problems(exc, wrapped, prefix=where, cross_checks=False))


Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_\-]*$", min_length=1, max_length=80),
]
"""An identifier: letters, digits, '_' or '-', starting with a letter or '_'."""

def _not_true_or_false(value: Any) -> Any:
    """pydantic reads true as 1 in an int field; a scenario's `years: true` is a mistake."""
    if isinstance(value, bool):
        raise ValueError(f"must be a whole number, not {str(value).lower()}")
    return value


Whole = BeforeValidator(_not_true_or_false)
"""Put in every int field of the scenario format: true and false are not whole numbers."""

EARLIEST_YEAR, LATEST_YEAR = 1900, 2200
"""The years a scenario may name (a year outside them is a typo, reported by its field)."""


def _a_year(year: int) -> int:
    if not EARLIEST_YEAR <= year <= LATEST_YEAR:
        raise ValueError(f"must be a year from {EARLIEST_YEAR} to {LATEST_YEAR}"
                         + (f", not {year}" if abs(year) < 10**6 else ""))
    return year


Year = Annotated[int, Whole, AfterValidator(_a_year),
                 WithJsonSchema({"type": "integer", "minimum": EARLIEST_YEAR,
                                 "maximum": LATEST_YEAR})]

PERIODS = ("horizon", "each_year")


def _period(value: Any) -> str | int:
    if isinstance(value, str) and value.strip() in PERIODS:
        return value.strip()
    year = value  # a year as text, or a workbook's 2016.0, is read as the year
    if (isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6
            or isinstance(value, float) and value.is_integer() and abs(value) < 1e6):
        year = int(value)
    if isinstance(year, int) and not isinstance(year, bool):
        return _a_year(year)
    shown = str(value).lower() if isinstance(value, bool) else abridged(repr(value))
    raise ValueError(f"'horizon', 'each_year' or a year, not {shown}")


Period = Annotated[
    Any,
    PlainValidator(_period),
    WithJsonSchema({"description": "horizon, each_year, or a single year.", "anyOf": [
        {"enum": list(PERIODS)}, {"type": "integer", "minimum": EARLIEST_YEAR,
                                                      "maximum": LATEST_YEAR}]}),
]
"""When a target holds: 'horizon', 'each_year' or one year (one message for a wrong value,
where a union of the two types said one for each)."""


def _number(value: Any, *, minimum: float | None, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, not {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"must be a finite number, not {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"must be >= {minimum:g}, not {value:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"must be <= {maximum:g}, not {value:g}")
    return value


def _number_type(minimum: float | None, maximum: float | None, doc: str) -> Any:
    schema: dict[str, Any] = {"type": "number", "description": doc}
    if minimum is not None:
        schema["minimum"] = minimum
    if maximum is not None:
        schema["maximum"] = maximum
    return Annotated[
        float,
        PlainValidator(lambda v: _number(v, minimum=minimum, maximum=maximum)),
        WithJsonSchema(schema),
    ]


Number = _number_type(None, None, "A finite number.")
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


def currency_symbol(currency: str) -> str:
    """The sign written before an amount ('£' for GBP); '' for a currency without one here."""
    return CURRENCY_SYMBOLS.get(currency, "")


Money = _number_type(0, None, "A finite, non-negative amount of money.")
Share = _number_type(0, 1, "A share between 0 and 1.")


def _cashable(value: Any) -> float | dict[str, float]:
    if isinstance(value, dict):
        shares = {}
        for partner, v in value.items():
            try:
                shares[str(partner)] = _number(v, minimum=0, maximum=1)
            except ValueError as exc:
                raise ValueError(f"partner {partner!r}: {exc}") from None
        return shares
    return _number(value, minimum=0, maximum=1)


CashableShare = Annotated[
    Any,
    PlainValidator(_cashable),
    WithJsonSchema({
        "description": "A share between 0 and 1, or {partner: share}.",
        "anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
                  {"type": "object",
                   "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1}}],
    }),
]


_PLAIN_NUMBERS = frozenset((float, int))
"""The types of a profile's entries read without a check each (bool is neither)."""


def _profile(value: Any, *, minimum: float | None) -> float | tuple[float, ...] | dict[int, float]:
    """Check a profile's numbers, every entry (all bad ones said in one message); the horizon
    (length, years) is checked by the scenario."""
    if not isinstance(value, list | tuple | dict):
        return _number(value, minimum=minimum)
    if isinstance(value, list | tuple) and _PLAIN_NUMBERS.issuperset(map(type, value)):
        # the common case, checked in C: plain numbers, finite (their sum is), above minimum
        try:
            numbers = tuple(map(float, value))
        except OverflowError:  # a whole number too large for a float: said below
            numbers = ()
        if len(numbers) == len(value) and math.isfinite(sum(numbers)) and (
                minimum is None or not numbers or min(numbers) >= minimum):
            return numbers
    bad: list[str] = []

    def checked(where: str, v: Any) -> float:
        try:
            return _number(v, minimum=minimum)
        except ValueError as exc:
            bad.append(f"{where}: {exc}")
            return 0.0

    out: tuple[float, ...] | dict[int, float]
    if isinstance(value, dict):
        mapped = {}
        for year, v in value.items():
            if isinstance(year, bool) or not isinstance(year, int):
                try:
                    year = int(str(year))
                except ValueError:
                    bad.append(f"year keys must be whole years, not {year!r}")
                    continue
            mapped[year] = checked(f"year {year}", v)
        out = mapped
    else:
        out = tuple(checked(f"entry {k + 1}", v) for k, v in enumerate(value))
    if bad:
        raise ValueError("; ".join(bad))
    return out


def _profile_type(minimum: float | None, doc: str) -> Any:
    item: dict[str, Any] = {"type": "number"}
    if minimum is not None:
        item["minimum"] = minimum
    schema = {
        "description": doc,
        "anyOf": [
            item,
            {"type": "array", "items": item},
            {"type": "object", "patternProperties": {"^[0-9]{4}$": item},
             "additionalProperties": False},
        ],
    }
    return Annotated[Any, PlainValidator(lambda v: _profile(v, minimum=minimum)),
                     WithJsonSchema(schema)]


Profile = _profile_type(
    None, "A value per horizon year: a number (every year), a list (one per year) "
    "or a mapping {year: value} (missing years are 0).")
MoneyProfile = _profile_type(
    0, "Non-negative money per horizon year: a number (every year), a list (one per year) "
    "or a mapping {year: value} (missing years are 0).")


def expand_profile(profile: Any, start_year: int, years: int) -> tuple[float, ...]:
    """One value per horizon year (missing mapping years are 0).

    >>> expand_profile({2015: 3.0}, 2014, 3)
    (0.0, 3.0, 0.0)
    """
    if isinstance(profile, dict):
        return tuple(float(profile.get(start_year + k, 0.0)) for k in range(years))
    if isinstance(profile, list | tuple):
        return tuple(float(v) for v in profile)
    return (float(profile),) * years
