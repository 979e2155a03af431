"""Turning untrusted input into a `Case`, with errors that name the JSON path and the fix."""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from accountrules.errors import CaseLimitError, CaseValidationError, Problem
from accountrules.models import Case, Determination
from accountrules.vocabulary import FORM_MEASURES, MEASURE_PLACES, OFFENDER_ACTS, PILOT_ERROR_KINDS

#: A single case larger than this is refused before parsing (a case is a few kilobytes; batch files stream).
MAX_CASE_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class CaseLimits:
    """How much work one case may ask for. The rules join every person with every violation, so the work of
    a case grows with people × violations; a service evaluating cases it does not trust keeps this bounded.

    ``max_work`` is the largest people × violations accepted (the CLI's ``--max-work``); 0 lifts the limit.
    """

    max_work: int = 100_000

    def check(self, case: Case, source: str | None = None) -> None:
        """Raise `CaseLimitError` when ``case`` asks for more work than these limits allow."""
        work = len(case.people) * len(case.violations)
        if self.max_work and work > self.max_work:
            raise CaseLimitError(
                f"the case has {len(case.people):,} people × {len(case.violations):,} violations = {work:,}, "
                f"more than the {self.max_work:,} one case may take; split the case, or raise the limit "
                "(--max-work, or CaseLimits(max_work=…) in the library)",
                source,
            )


DEFAULT_LIMITS = CaseLimits()

#: What an offender should record instead of an act that belongs to someone looking back on the violation.
_OFFENDER_REWORDING = {
    "obstructed": "record obstruction by the offender as obstructed_inquiry",
    "concealed": "record concealment by the offender as obstructed_inquiry",
    "shielded": "record shielding by the offender as obstructed_inquiry",
}


def json_path(loc: Iterable[int | str]) -> str:
    """``('violations', 0, 'offenders', 1)`` → ``violations[0].offenders[1]``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def suggest(word: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the closest choice, letter case aside, or nothing."""
    by_folded = {choice.casefold(): choice for choice in choices}
    close = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return f" Did you mean '{by_folded[close[0]]}'?" if close else ""


def parse_case_text(text: str | bytes, source: str | None = None) -> Case:
    """Parse and validate one case from JSON text (bytes must be UTF-8). The one reader of case text, for a
    case file and for every record of an archive alike."""
    _check_size(len(text), source)
    fast = _fast_case(text)
    if fast is not None:
        return parse_case(fast, source)
    if isinstance(text, bytes):
        text = _decode(text, source)
    if not text.strip():
        raise CaseValidationError([Problem("", "the input is empty; expected one JSON object (a case)")], source)
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise CaseValidationError(
            [
                Problem(
                    f"line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}{_json_hint(text, exc, source)}"
                )
            ],
            source,
        ) from None
    except _JSONProblem as exc:
        raise CaseValidationError([Problem("", str(exc))], source) from None
    except ValueError as exc:  # a number of more digits than Python converts (sys.get_int_max_str_digits)
        raise CaseValidationError(
            [Problem("", f"a number in the JSON is too long to read ({exc}); no count in a case needs it")], source
        ) from None
    except RecursionError:
        raise CaseValidationError(
            [Problem("", "the JSON is nested too deeply to be a case; check the file is the right one")], source
        ) from None
    return parse_case(data, source)


#: How a file path given where case text belongs ends.
_CASE_FILE_ENDINGS = (".json", ".jsonl", ".json.gz", ".jsonl.gz", ".yaml", ".yml")


#: The first line of a YAML case: a comment, or a key and its colon (``case_id: "2024-001"``).
_YAML_LINE = re.compile(r"\s*(#|[A-Za-z_][\w-]*:(\s|$))")


def _json_hint(text: str, exc: json.JSONDecodeError, source: str | None) -> str:
    """What text that is not JSON seems to be instead: an archive of JSON lines, or the path of a file."""
    given = text.strip()
    lines = [line for line in given.splitlines() if line.strip()]
    if exc.msg == "Extra data" and len(lines) > 1 and all(line.lstrip().startswith("{") for line in lines):
        return (
            f"; the text holds {len(lines)} JSON lines, like an archive of cases: evaluate it with "
            f"`accountrules batch {source if source and not source.startswith('<') else 'FILE'}`"
        )
    if lines and _YAML_LINE.match(lines[0]):
        return (
            "; this looks like YAML, which is read only from a file named .yaml or .yml (standard input and "
            "the lines of an archive are JSON): save it as case.yaml"
        )
    if (
        len(lines) == 1
        and not given.startswith(("{", "[", '"'))
        and ("/" in given or given.endswith(_CASE_FILE_ENDINGS))
    ):
        return (
            f"; {given!r} looks like the path of a file, not a case's JSON text: read the file, "
            f"e.g. engine.evaluate(Path({given!r}).read_text()), or load_case({given!r}) from accountrules.validation"
        )
    return ""


#: A key followed by white space before its colon: `_fast_case` cannot count such keys, so it leaves the text to
#: the reader that sees every key.
_SPACED_KEY: Any = re.compile(r'"\s+:')
_SPACED_KEY_BYTES: Any = re.compile(rb'"\s+:')


def _fast_case(payload: str | bytes) -> Case | None:
    """The case pydantic reads straight from the JSON text, when the full reader would read the same one; else
    None, and the full reader decides (and words any error). pydantic's reader refuses everything Python's
    does (NaN, lone surrogates, a byte-order mark, text that is not UTF-8) but keeps the last of a repeated
    key. Every key of the text is followed by a colon of its own, so a text with no more colons than the keys
    the case was given has no repeated key (the common case: no string holds a colon); else a text whose
    ``":`` count equals those keys, and where no ``"`` is followed by white space and a colon, has none (a
    string holding ``":`` only makes the counts differ)."""
    try:
        case: Case = _validate_case_json(payload)
    except (ValidationError, ValueError):
        return None
    given = _keys_given(case)
    if isinstance(payload, bytes):
        if payload.count(b":") != given and (
            payload.count(b'":') != given or _SPACED_KEY_BYTES.search(payload) is not None
        ):
            return None
    elif payload.count(":") != given and (payload.count('":') != given or _SPACED_KEY.search(payload) is not None):
        return None
    return case


#: `Case.model_validate_json` without its checks of arguments that are never given here.
_validate_case_json = Case.__pydantic_validator__.validate_json


def _keys_given(value: Any) -> int:
    """How many object keys the JSON text of ``value`` held, repeats apart (the models forbid unknown keys)."""
    if isinstance(value, BaseModel):
        return _key_counter(type(value))(value)
    if isinstance(value, dict):
        count = len(value)
        for item in value.values():
            count += _keys_given(item)
        return count
    if isinstance(value, list):
        count = 0
        for item in value:
            count += _keys_given(item)
        return count
    return 0


def _fields_given(value: BaseModel) -> int:
    return len(value.__pydantic_fields_set__)


@functools.cache
def _key_counter(model: type[BaseModel]) -> Callable[[Any], int]:
    """`_keys_given` of an instance of ``model``: its fields given, and the keys in those of them that may hold
    objects (`_holding_objects`), each walked by the shape its annotation declares (`_walker`), worked out once."""
    steps = tuple((name, _walker(model.model_fields[name].annotation)) for name in _holding_objects(model))
    if not steps:
        return _fields_given

    def count(value: Any) -> int:
        given = value.__pydantic_fields_set__
        fields = value.__dict__
        total = len(given)
        for name, walk in steps:
            if name in given:
                total += walk(fields[name])
        return total

    return count


def _walker(annotation: Any) -> Callable[[Any], int]:
    """How `_keys_given` counts a field's value: a model (or None), a list of models and a dict of models by their
    own `_key_counter`, anything else by `_keys_given` itself."""
    model = _model_or_none(annotation)
    if model is not None:
        inner = _key_counter(model)
        return lambda value: 0 if value is None else inner(value)
    origin, args = get_origin(annotation), get_args(annotation)
    item = _model_or_none(args[-1]) if origin in (list, dict) and args else None
    if item is None:
        return _keys_given
    each = _key_counter(item)
    if origin is list:

        def items(values: list[Any]) -> int:
            total = 0
            for value in values:
                total += each(value)
            return total

        return items

    def values(mapping: dict[Any, Any]) -> int:
        total = len(mapping)
        for value in mapping.values():
            total += each(value)
        return total

    return values


def _model_or_none(annotation: Any) -> type[BaseModel] | None:
    """The model ``annotation`` is, alone or with ``| None``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, UnionType):
        args = [arg for arg in get_args(annotation) if arg is not type(None)]
        if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return args[0]
    return None


@functools.cache
def _holding_objects(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` whose values may hold JSON objects (models or dicts, also in lists or ``| None``):
    the only ones `_keys_given` needs to walk (a case's ids, texts and vocabulary values are most of its fields)."""
    return tuple(name for name, field in model.model_fields.items() if _holds_object(field.annotation))


def _holds_object(annotation: Any) -> bool:
    if isinstance(annotation, type) and (issubclass(annotation, (BaseModel, dict)) or annotation is object):
        return True
    if annotation is Any or get_origin(annotation) is dict:
        return True
    return any(_holds_object(arg) for arg in get_args(annotation))


class _JSONProblem(ValueError):
    """Valid to Python's parser but not to the JSON standard or not meaningful in a case."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are unique; a repeated key would silently replace the first value."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _JSONProblem(f"the key '{key}' appears twice in one object; keep one")
            seen.add(key)
    return obj


def _reject_constant(name: str) -> Any:
    raise _JSONProblem(f"not valid JSON: {name} is not a JSON number; write a number or leave the field out")


#: How bytes that are not UTF-8 may begin, and what they then are.
_NOT_UTF8 = (
    (
        b"\x1f\x8b",
        "gzip-compressed data, not a case's text; decompress it, or give the file to `accountrules batch`, "
        "which reads .gz",
    ),
    (b"\xff\xfe", "UTF-16 text; save the case file as UTF-8"),
    (b"\xfe\xff", "UTF-16 text; save the case file as UTF-8"),
)


def _decode(raw: bytes, source: str | None) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        whole = next((what for start, what in _NOT_UTF8 if raw.startswith(start)), None)
        if whole is not None:
            raise CaseValidationError([Problem("", whole)], source) from None
        line = raw.count(b"\n", 0, exc.start) + 1
        raise CaseValidationError(
            [Problem(f"line {line} byte {exc.start}", "not UTF-8 text; save the case file as UTF-8")], source
        ) from None


def _check_size(size: int, source: str | None) -> None:
    if size > MAX_CASE_BYTES:
        raise CaseValidationError(
            [
                Problem(
                    "",
                    f"the input is larger than {MAX_CASE_BYTES // 1024 // 1024} MB, the most one case may take; "
                    "is this an archive of cases? Put one case per line and use `accountrules batch`.",
                )
            ],
            source,
        )


def parse_case(data: Any, source: str | None = None, model: type[Case] = Case) -> Case:
    """Validate a parsed JSON value (or a `Case`) against SPEC §3 (``model``: a case model with more fields)."""
    if isinstance(data, Case):
        case = data
    else:
        if not isinstance(data, Mapping):
            raise CaseValidationError([Problem("", f"expected a JSON object (a case), got {_json_kind(data)}")], source)
        try:
            case = model.model_validate(data)
        except ValidationError as exc:
            if _is_determination(data, model):
                raise CaseValidationError([Problem("", _DETERMINATION_GIVEN)], source) from None
            raise CaseValidationError(_translate(exc, model), source) from None
        except RecursionError:
            raise CaseValidationError([Problem("", "the case is nested too deeply")], source) from None
    problems = [] if _consistent(case) else list(_cross_references(case))
    if problems:
        raise CaseValidationError(problems, source)
    return case


_DETERMINATION_GIVEN = (
    "this is a determination (what `accountrules evaluate` or `batch` writes), not a case; "
    "give the case it was made from"
)


def _is_determination(data: Mapping[str, Any], model: type[Case]) -> bool:
    """Whether ``data`` carries a determination's fields and none that only a case has: the output of
    `evaluate` or `batch` given back where a case belongs."""
    keys = set(data)
    only_out = set(Determination.model_fields) - set(model.model_fields)
    only_case = set(model.model_fields) - set(Determination.model_fields)
    return bool(keys & only_out) and not keys & only_case and keys <= set(Determination.model_fields)


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (bytearray, memoryview)):  # JSON text in a form the readers do not take
        return f"a {type(value).__name__}; pass JSON text as str or bytes"
    if isinstance(value, os.PathLike):
        return "a path; read the file with load_case(path) from accountrules.validation"
    if isinstance(value, Sequence):
        return "an array"
    return type(value).__name__


def load_case(path: str | Path) -> Case:
    """Read and validate a case file (or any stream: at most `MAX_CASE_BYTES` are ever read)."""
    p = Path(path)
    try:
        with p.open("rb") as stream:
            raw = stream.read(MAX_CASE_BYTES + 1)
    except FileNotFoundError:
        raise CaseValidationError([Problem("", "no such file; check the path")], str(p)) from None
    except IsADirectoryError:
        raise CaseValidationError([Problem("", "is a directory; give a case file")], str(p)) from None
    except PermissionError:
        raise CaseValidationError([Problem("", "cannot read the file: permission denied")], str(p)) from None
    except OSError as exc:
        raise CaseValidationError([Problem("", f"cannot read the file: {exc.strerror or exc}")], str(p)) from None
    return parse_case_text(raw, str(p))


_EXPECTED_TYPES = {
    "bool_type": "true or false",
    "string_type": "a string",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "date_type": "a date written YYYY-MM-DD",
    "date_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "a date written YYYY-MM-DD",
}


def _translate(exc: ValidationError, model: type[Case] = Case) -> list[Problem]:
    return [_problem(err, model) for err in exc.errors(include_url=False)]


def allowed_values(err: Any) -> list[str]:
    """The values a pydantic choice error (``literal_error``, ``enum``) allows, from its ``expected`` text
    (``'a', 'b' or 'c'``)."""
    return [a.strip(" '") for a in str((err.get("ctx") or {}).get("expected", "")).replace(" or ", ", ").split(",")]


def _problem(err: Any, model: type[Case] = Case) -> Problem:
    """One pydantic error as a problem at its JSON path, in the words of the contract."""
    loc = tuple(err["loc"])
    kind = err["type"]
    given = err.get("input")
    ctx = err.get("ctx") or {}
    shown = json.dumps(given, ensure_ascii=False, default=str)[:60]  # str: a date or bytes given to the library
    if kind == "extra_forbidden":
        field = str(loc[-1])
        message = f"unknown field '{field}'; remove it or correct its name.{suggest(field, known_fields(model, loc))}"
    elif kind == "missing":
        message = "required field is missing; add it"
    elif kind == "literal_error":
        allowed = allowed_values(err)
        value = f"'{given}'" if isinstance(given, str) else shown
        message = f"{value} is not one of {', '.join(allowed)}.{suggest_value(given, allowed)}"
    elif kind.startswith("date_") and kind != "date_type" and isinstance(given, str):
        message = f"{shown} is not a day of the calendar; write a real date as YYYY-MM-DD"
    elif kind == "float_type" and isinstance(given, int) and not isinstance(given, bool):
        message = "the number is too large (more than 1.8e308); write the real value"
    elif kind in _EXPECTED_TYPES:
        message = f"expected {_EXPECTED_TYPES[kind]}, got {shown}"
    elif kind == "string_pattern_mismatch":
        message = f"an id is one word without spaces or control characters; got {shown}"
    elif kind == "string_too_short":
        message = "must not be empty"
    elif kind == "string_too_long":
        message = f"longer than {ctx.get('max_length')} characters; shorten it"
    elif kind == "too_short":
        message = "must not be empty; list at least one"
    elif kind in {"greater_than_equal", "less_than_equal"}:
        bound = "at least" if kind == "greater_than_equal" else "at most"
        limit = ctx.get("ge", ctx.get("le"))
        message = f"must be {bound} {limit:g}; got {shown}"
    elif kind == "string_unicode":
        message = "not valid Unicode text (a lone surrogate such as \\ud800); correct the escape"
    else:
        message = err["msg"][0].lower() + err["msg"][1:]
    return Problem(_printable(json_path(loc)), _printable(message))


def _printable(text: str) -> str:
    """Text that any UTF-8 stream can print: a lone surrogate from the input is shown as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def suggest_value(given: Any, allowed: Sequence[str]) -> str:
    """`suggest`, also offering the one allowed value that starts with what was given (``poverty``)."""
    if not isinstance(given, str):
        return ""
    close = suggest(given, allowed)
    if close:
        return close
    starts = [a for a in allowed if a.startswith(given.lower()) and given]
    return f" Did you mean '{starts[0]}'?" if len(starts) == 1 else ""


def known_fields(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names ``model`` allows at the object that holds ``loc`` (list indexes and dict keys are
    stepped over): what an unknown field could have been meant to be."""
    for part in loc[:-1]:
        field = getattr(model, "model_fields", {}).get(part) if isinstance(part, str) else None
        if field is not None:
            model = _model_of(field.annotation)
    return [field.alias or name for name, field in getattr(model, "model_fields", {}).items()]


def _model_of(annotation: Any) -> Any:
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    for arg in get_args(annotation):
        found = _model_of(arg)
        if found is not None:
            return found
    return None


def _first_seen(items: Sequence[str], where: str) -> Iterable[Problem]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        if item in seen:
            yield Problem(f"{where}[{i}]", f"'{item}' is listed twice (first at {where}[{seen[item]}]); keep one")
        else:
            seen[item] = i


_OFFENDER_ACT_SET = frozenset(OFFENDER_ACTS)
_PILOT_OFFENDER_ACT_SET = _OFFENDER_ACT_SET | {"pilot_error"}


def _offender_acts(kind: str) -> frozenset[str]:
    """The acts an offender may record on their own violation of ``kind`` (SPEC §3, §9.3 V6)."""
    return _PILOT_OFFENDER_ACT_SET if kind in PILOT_ERROR_KINDS else _OFFENDER_ACT_SET


def _repeats(items: Sequence[str]) -> bool:
    """Whether an item of ``items`` is listed twice."""
    return len(items) > 1 and len(set(items)) != len(items)


def _consistent(case: Case) -> bool:
    """True only when `_cross_references` finds nothing: a quick pass with sets, so that a valid case (the
    common one, thousands of times over in an archive) never pays for the walk that names each problem."""
    people = {p.id for p in case.people}
    if len(people) != len(case.people):
        return False
    for person in case.people:
        roles, oversees = person.roles, person.oversees  # most hold one item or none: no call for them
        if (len(roles) > 1 and _repeats(roles)) or (len(oversees) > 1 and _repeats(oversees)):
            return False
        tenure = person.in_office
        if tenure is not None and tenure.start is not None and tenure.end is not None and tenure.start > tenure.end:
            return False
    offenders: dict[str, set[str]] = {}
    allowed: dict[str, frozenset[str]] = {}
    for violation in case.violations:
        ids = set(violation.offenders)
        if violation.id in offenders or len(ids) != len(violation.offenders) or not ids <= people:
            return False
        began, ended = violation.began_on, violation.ended_on
        if began is not None and ended is not None and began > ended:
            return False
        offenders[violation.id] = ids
        allowed[violation.id] = _offender_acts(violation.kind)
    entries: set[tuple[str, str]] = set()
    for entry in case.conduct:
        key = (entry.person, entry.violation)
        acts = entry.acts
        if entry.person not in people or entry.violation not in offenders or key in entries:
            return False
        if len(acts) > 1 and _repeats(acts):
            return False
        if entry.person in offenders[entry.violation] and not allowed[entry.violation].issuperset(acts):
            return False
        entries.add(key)
    decisions: set[str] = set()
    for decision in case.decisions:
        participants = set(decision.participants)
        advocates, objectors = decision.advocates, decision.objectors
        if decision.id in decisions or decision.violation not in offenders:
            return False
        if len(participants) != len(decision.participants) or _repeats(advocates) or _repeats(objectors):
            return False
        if not people.issuperset(participants) or not participants.issuperset(advocates):
            return False
        if not participants.issuperset(objectors) or not set(advocates).isdisjoint(objectors):
            return False
        decisions.add(decision.id)
    return all(
        pid in people
        and (recorded.measure is None or recorded.measure in FORM_MEASURES[recorded.form])
        and not _repeats(recorded.measures)
        for pid, recorded in case.recorded.items()
    )


def _cross_references(case: Case) -> Iterable[Problem]:
    """The rules of SPEC §3 that a schema cannot say: ids unique and resolvable, conduct well-formed."""
    people: dict[str, int] = {}
    for i, person in enumerate(case.people):
        if person.id in people:
            yield Problem(f"people[{i}].id", f"duplicate id '{person.id}' (first at people[{people[person.id]}])")
        else:
            people[person.id] = i
        yield from _first_seen(person.roles, f"people[{i}].roles")
        yield from _first_seen(person.oversees, f"people[{i}].oversees")
        tenure = person.in_office
        if tenure is not None and tenure.start is not None and tenure.end is not None and tenure.start > tenure.end:
            yield Problem(
                f"people[{i}].in_office.from",
                f"{tenure.start.isoformat()} is after in_office.to {tenure.end.isoformat()}; swap or correct them",
            )
    known_people = ", ".join(people) or "none"

    def person_ref(pid: str, where: str) -> Iterable[Problem]:
        if pid not in people:
            yield Problem(where, f"no person '{pid}' (people are: {known_people}).{suggest(pid, people)}")

    violations: dict[str, int] = {}
    offenders: dict[str, set[str]] = {}
    kinds: dict[str, str] = {}
    for i, violation in enumerate(case.violations):
        if violation.id in violations:
            yield Problem(
                f"violations[{i}].id",
                f"duplicate id '{violation.id}' (first at violations[{violations[violation.id]}])",
            )
        else:
            violations[violation.id] = i
        offenders.setdefault(violation.id, set()).update(violation.offenders)
        kinds.setdefault(violation.id, violation.kind)
        if (
            violation.began_on is not None
            and violation.ended_on is not None
            and violation.began_on > violation.ended_on
        ):
            yield Problem(
                f"violations[{i}].began_on",
                f"{violation.began_on.isoformat()} is after ended_on {violation.ended_on.isoformat()}; "
                "swap or correct them",
            )
        yield from _first_seen(violation.offenders, f"violations[{i}].offenders")
        for j, pid in enumerate(violation.offenders):
            yield from person_ref(pid, f"violations[{i}].offenders[{j}]")
    known_violations = ", ".join(violations) or "none"

    def violation_ref(vid: str, where: str) -> Iterable[Problem]:
        if vid not in violations:
            yield Problem(
                where, f"no violation '{vid}' (violations are: {known_violations}).{suggest(vid, violations)}"
            )

    entries: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(case.conduct):
        where = f"conduct[{i}]"
        yield from person_ref(entry.person, f"{where}.person")
        yield from violation_ref(entry.violation, f"{where}.violation")
        key = (entry.person, entry.violation)
        if key in entries:
            yield Problem(
                where,
                f"second entry for ({entry.person}, {entry.violation}) (first at conduct[{entries[key]}]); "
                "merge the acts into one entry",
            )
        else:
            entries[key] = i
        yield from _first_seen(entry.acts, f"{where}.acts")
        if entry.person in offenders.get(entry.violation, set()):
            allowed = _offender_acts(kinds[entry.violation])
            for j, act in enumerate(entry.acts):
                if act not in allowed:
                    fix = _OFFENDER_REWORDING.get(act) or _offender_fix(act, kinds[entry.violation], allowed)
                    yield Problem(f"{where}.acts[{j}]", f"{entry.person} offended in {entry.violation}: {fix}")

    decisions: dict[str, int] = {}
    for i, decision in enumerate(case.decisions):
        where = f"decisions[{i}]"
        if decision.id in decisions:
            yield Problem(f"{where}.id", f"duplicate id '{decision.id}' (first at decisions[{decisions[decision.id]}])")
        else:
            decisions[decision.id] = i
        yield from violation_ref(decision.violation, f"{where}.violation")
        for field in ("participants", "advocates", "objectors"):
            ids: list[str] = getattr(decision, field)
            yield from _first_seen(ids, f"{where}.{field}")
            for j, pid in enumerate(ids):
                yield from person_ref(pid, f"{where}.{field}[{j}]")
        participants = set(decision.participants)
        for field in ("advocates", "objectors"):
            for j, pid in enumerate(getattr(decision, field)):
                if pid in people and pid not in participants:
                    yield Problem(f"{where}.{field}[{j}]", f"'{pid}' is not a participant; add them to participants")
        for j, pid in enumerate(decision.objectors):
            if pid in decision.advocates:
                yield Problem(f"{where}.objectors[{j}]", f"'{pid}' is both an advocate and an objector; keep one")

    for pid, recorded in case.recorded.items():
        where = f"recorded.{pid}"
        yield from person_ref(pid, where)
        yield from _first_seen(recorded.measures, f"{where}.measures")
        measures = FORM_MEASURES[recorded.form]
        if recorded.measure is not None and recorded.measure not in measures:
            owner = MEASURE_PLACES[recorded.measure][0]
            yield Problem(
                f"{where}.measure",
                f"'{recorded.measure}' is a form-{owner} measure, not form {recorded.form}; "
                f"form {recorded.form} has {', '.join(measures)}",
            )


def _offender_fix(act: str, kind: str, allowed: frozenset[str]) -> str:
    if act == "pilot_error":
        return (
            f"pilot_error (容错) is open to an offender only on a {' or '.join(PILOT_ERROR_KINDS)} violation, "
            f"and this one is {kind}"
        )
    return (
        f"an offender's own entry may hold only {', '.join(a for a in (*OFFENDER_ACTS, 'pilot_error') if a in allowed)}"
    )
