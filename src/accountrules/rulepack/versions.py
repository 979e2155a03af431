"""The dated versions of the regulations (SPEC §9.4) and the sanctions a pack declares beside its rules (§9.3).

`versions.yaml` names each version by the regulations in force together and the day it took effect, the
government-sanction laws and the criminal thresholds by the day they took effect. `sanctions.yaml` holds the
party measures, the correspondence of party and government sanctions and the promotion bars. Both are data:
the engine reads them through the few lookups below and decides nothing of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from accountrules.vocabulary import FORM_MEASURES, GovernmentSanction, Measure, values


def _iso_day(value: object) -> object:
    """YAML may read an unquoted day as a date already; a quoted one is parsed here."""
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    return value


Day = Annotated[dt.date, BeforeValidator(_iso_day), Field(strict=False)]
Months = Annotated[int, Field(ge=1, le=120)]


#: The measures, lightest first.
_MEASURE_ORDER = values(Measure)


class _Data(BaseModel):
    #: Validators are built on the first validation: a pack kept from an earlier run (`stored`) needs none.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=True, defer_build=True)


class Version(_Data):
    """One version: the regulations in force together from ``since`` (written ``from``)."""

    id: str = Field(min_length=1)
    since: Day = Field(alias="from")
    regulations: list[str] = Field(min_length=1)


class Dated(_Data):
    """A law in force from ``since`` (null: from before every other) until the next one of its list."""

    id: str = Field(min_length=1)
    since: Day | None = Field(default=None, alias="from")
    cites: list[str] = Field(default_factory=list)


class Threshold(_Data):
    """The amount from which corruption is a crime, for decisions from ``since`` (V2's note)."""

    since: Day | None = Field(default=None, alias="from")
    amount_cny: Annotated[int, Field(ge=0)]
    #: A lower amount for life-saving funds, where the interpretation sets one.
    lifesaving_funds_cny: Annotated[int, Field(ge=0)] | None = None
    cites: list[str] = Field(default_factory=list)


_T = TypeVar("_T", Dated, Threshold)


def _in_force(items: Sequence[_T], day: dt.date) -> _T:
    """The last item whose ``since`` is on or before ``day``; the first one for days before them all."""
    chosen = items[0]
    for item in items:
        if item.since is None or item.since <= day:
            chosen = item
    return chosen


def _ordered(items: Sequence[Dated] | Sequence[Threshold], what: str) -> None:
    days = [i.since for i in items]
    if any(d is None for d in days[1:]):
        raise ValueError(f"{what}: only the first entry may leave `from` empty")
    known = [d for d in days if d is not None]
    if known != sorted(set(known)):
        raise ValueError(f"{what}: list the entries by `from`, earliest first, each on a different day")


class Versions(_Data):
    """`versions.yaml`: the versions, earliest first, and the dated laws that follow the decision's day."""

    versions: list[Version] = Field(min_length=1)
    government_sanction_laws: list[Dated] = Field(min_length=1)
    crime_thresholds: list[Threshold] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Versions:
        days = [v.since for v in self.versions]
        if days != sorted(set(days)):
            raise ValueError("versions: list the versions by `from`, earliest first, each on a different day")
        ids = [v.id for v in self.versions]
        if len(set(ids)) != len(ids):
            raise ValueError("versions: two versions share an id")
        _ordered(self.government_sanction_laws, "government_sanction_laws")
        _ordered(self.crime_thresholds, "crime_thresholds")
        return self

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(v.id for v in self.versions)

    @property
    def newest(self) -> Version:
        return self.versions[-1]

    @property
    def regulations(self) -> frozenset[str]:
        """Every regulation some version combines: their citations belong to the versions that hold them."""
        return frozenset(r for v in self.versions for r in v.regulations)

    def at(self, day: dt.date | None) -> Version:
        """The version in force on ``day``: the newest for no day, the earliest for days before it."""
        if day is None:
            return self.newest
        chosen = self.versions[0]
        for version in self.versions:
            if version.since <= day:
                chosen = version
        return chosen

    def index(self, version_id: str) -> int:
        return self.ids.index(version_id)

    def get(self, version_id: str) -> Version:
        return self.versions[self.index(version_id)]

    def sanction_law(self, decided_on: dt.date | None) -> Dated:
        laws = self.government_sanction_laws
        return laws[-1] if decided_on is None else _in_force(laws, decided_on)

    def threshold(self, decided_on: dt.date | None, lifesaving_funds: bool) -> int:
        rows = self.crime_thresholds
        row = rows[-1] if decided_on is None else _in_force(rows, decided_on)
        if lifesaving_funds and row.lifesaving_funds_cny is not None:
            return row.lifesaving_funds_cny
        return row.amount_cny

    def resolve(self, names: Iterable[str]) -> frozenset[str]:
        """The versions that ``names`` (version ids or regulation keys) select; unknown names are skipped."""
        out: set[str] = set()
        for name in names:
            out.update(v.id for v in self.versions if name == v.id or name in v.regulations)
        return frozenset(out)

    def shown_cites(self, cites: Iterable[str], version_id: str | None) -> list[str]:
        """The citations that speak for ``version_id``: those of its own regulations and of sources outside
        every version (the speech, resp2010); citations of the other versions' regulations are left out, unless
        nothing would remain."""
        cites = list(cites)
        if version_id is None:
            return cites
        own = set(self.get(version_id).regulations)
        dated = self.regulations
        shown = [c for c in cites if c.partition(":")[0] in own or c.partition(":")[0] not in dated]
        return shown or cites


#: Versions of a pack that declares none: one unnamed version, in force throughout.
UNVERSIONED = "all"


class Substitution(_Data):
    """V9: a measure a person without a party post cannot receive, and the (form, measure) given instead."""

    measure: Measure
    becomes: Annotated[tuple[int, Measure], Field(strict=False)]
    cites: list[str] = Field(min_length=1)


class Correspondence(_Data):
    """V3: the government sanction of a public official, by the party measure it goes with.

    ``table`` gives it *instead of* a party measure the person cannot receive: a non-member's removed measure (V3),
    or the measure a member without a party post cannot be given (V9). ``beside`` gives it beside a party measure
    the person keeps; a measure it leaves out carries no government sanction; absent, ``table`` serves for both.
    """

    table: dict[Measure, GovernmentSanction]
    beside: dict[Measure, GovernmentSanction] | None = None
    cites: list[str] = Field(min_length=1)

    def instead_of(self, measure: str | None) -> str | None:
        """The government sanction given in place of ``measure``."""
        return self.table.get(measure) if measure else None  # type: ignore[call-overload]

    def beside_measure(self, measure: str | None) -> str | None:
        """The government sanction given beside ``measure``, which the person keeps."""
        table = self.table if self.beside is None else self.beside
        return table.get(measure) if measure else None  # type: ignore[call-overload]


class WaitingPeriods(_Data):
    """Months during which a measure or a government sanction bars promotion."""

    measures: dict[Measure, Months] = Field(default_factory=dict)
    government: dict[str, dict[GovernmentSanction, Months]] = Field(default_factory=dict)
    cites: list[str] = Field(default_factory=list)


def _check_monotone(name: str, table: Mapping[Measure, GovernmentSanction], party_measures: Sequence[Measure]) -> None:
    """A heavier party measure never carries a lighter government sanction (none is the lightest)."""
    order = values(Measure)
    ranks = values(GovernmentSanction)
    heaviest, held = -1, ""
    for measure in sorted(party_measures, key=order.index):
        sanction = table.get(measure)
        rank = ranks.index(sanction) if sanction is not None else -1
        if rank < heaviest:
            shown = sanction or "none"
            raise ValueError(
                f"correspondence.{name}: '{measure}' carries {shown}, lighter than '{held}' beside the lighter "
                f"measure before it; a heavier party measure must not carry a lighter government sanction"
            )
        if rank > heaviest:
            heaviest, held = rank, sanction or ""


class Sanctions(_Data):
    """`sanctions.yaml`: who may receive which measure, and what else a measure brings."""

    party_measures: list[Measure] = Field(min_length=1)
    without_party_post: list[Substitution] = Field(default_factory=list)
    correspondence: Correspondence
    waiting_periods: WaitingPeriods = Field(default_factory=WaitingPeriods)

    @model_validator(mode="after")
    def _consistent(self) -> Sanctions:
        for row in self.without_party_post:
            form, measure = row.becomes
            if measure not in FORM_MEASURES.get(form, ()):
                raise ValueError(f"without_party_post: '{measure}' is not a measure of form {form}")
        correspondence = self.correspondence
        unmapped = [m for m in self.party_measures if m not in correspondence.table]
        if unmapped:
            raise ValueError(f"correspondence: give a government sanction for the party measure '{unmapped[0]}'")
        strange = [m for m in correspondence.beside or {} if m not in self.party_measures]
        if strange:
            raise ValueError(f"correspondence.beside: '{strange[0]}' is not one of the party measures")
        for name, table in (("table", correspondence.table), ("beside", correspondence.beside or {})):
            _check_monotone(name, table, self.party_measures)
        return self

    def heaviest_party_measure(self, measures: Iterable[str]) -> str | None:
        held = [m for m in measures if m in self.party_measures]
        return max(held, key=_MEASURE_ORDER.index) if held else None

    def substitute(self, form: int, measure: str) -> tuple[int, str] | None:
        for row in self.without_party_post:
            if row.measure == measure:
                return row.becomes
        return None

    def waiting_months(self, measures: Iterable[str], sanction: str | None, law: str) -> int | None:
        bars = [self.waiting_periods.measures[m] for m in measures if m in self.waiting_periods.measures]
        if sanction is not None:
            months = self.waiting_periods.government.get(law, {}).get(sanction)  # type: ignore[call-overload]
            if months is not None:
                bars.append(months)
        return max(bars) if bars else None
