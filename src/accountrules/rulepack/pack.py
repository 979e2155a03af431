"""Loading a rule pack directory and validating it before any case sees it (SPEC §6)."""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache, wraps
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from accountrules.errors import RulePackError, UnknownRuleError, UsageError
from accountrules.rulepack import stored
from accountrules.rulepack.facts import FACTS, FORMER_NAMES, FactSchema, FieldType, facts_for_stage
from accountrules.rulepack.policy import Policy, PolicyStep
from accountrules.rulepack.spec import (
    COMPARISONS,
    REF_PATTERN,
    FindingEffect,
    Pattern,
    Ref,
    Rule,
    RuleSpec,
    TableRange,
    Test,
)
from accountrules.rulepack.versions import Sanctions, Versions
from accountrules.rulepack.yamlfile import LineList, LineMap, line_at, plain, read_pack_file, read_yaml
from accountrules.validation import allowed_values, json_path, known_fields, suggest
from accountrules.vocabulary import FORM_MEASURES, RefusalKind, values

RESERVED_FILES = {"pack.yaml", "policy.yaml", "citations.yaml", "versions.yaml", "sanctions.yaml"}


class PackMeta(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    #: ``default`` or a path (relative to this pack) of a pack this one extends.
    extends: str | None = None
    #: Rule ids of the extended pack to drop.
    remove: list[str] = Field(default_factory=list)


class Source(BaseModel):
    """Where a provision's text was read: its title and, when it was read online, the address."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    title: str = Field(min_length=1)
    url: str | None = None

    @field_validator("url")
    @classmethod
    def _web_address(cls, url: str | None) -> str | None:
        if url is not None and not re.fullmatch(r"https?://\S+", url):
            raise PydanticCustomError("web_address", "give the web address it was read at, starting with https://")
        return url


class Citation(BaseModel):
    """One catalogue entry: the pack's paraphrase, whether the text was checked, and where it was read."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, defer_build=True)

    paraphrase: str = Field(min_length=1)
    verified: bool = True
    source: Source | None = None


@dataclass(frozen=True)
class RulePack:
    """A validated rule pack: rules sorted by id, the policy that resolves them, the citation catalogue."""

    name: str
    version: str
    description: str
    path: Path
    digest: str
    rules: tuple[Rule, ...]
    policy: Policy
    citations: dict[str, Citation]
    versions: Versions
    sanctions: Sanctions
    #: The facts its rules read, derived from the case model they were checked against.
    facts: FactSchema = FACTS
    #: The pack this one extends (``extends:``), whose golden cases it inherits.
    base: RulePack | None = field(default=None, repr=False, compare=False)
    _by_id: dict[str, Rule] = field(default_factory=dict, repr=False, compare=False)

    def rule(self, rule_id: str) -> Rule:
        try:
            return self._by_id[rule_id]
        except KeyError:
            hint = suggest(rule_id, self._by_id)
            raise UnknownRuleError(f"no rule '{rule_id}' in pack '{self.name}'.{hint}") from None

    def stage_rules(self, stage: str) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.stage == stage)

    def rules_in(self, version_id: str) -> tuple[Rule, ...]:
        """The rules that hold in one version."""
        return tuple(r for r in self.rules if version_id in r.versions)

    def cites_in(self, rule_id: str, version_id: str | None) -> list[str]:
        """A rule's citations as they read in one version (each version numbers the same provision its way)."""
        return self.versions.shown_cites(self.rule(rule_id).cites, version_id)

    @property
    def raising(self) -> tuple[str, ...]:
        """The case fields whose rise never lowers anyone's result (D11): the policy's list, else the fields the
        case model marks as raising."""
        if self.policy.raising is not None:
            return tuple(self.policy.raising)
        return tuple(i.path for i in self.facts.inputs.values() if i.raising)

    @property
    def refused(self) -> tuple[str, ...]:
        """The case flags recorded as refused leniency that change nothing else (D5, D6): the policy's list, else
        every flag of the case named after a refusal kind."""
        if self.policy.refused is not None:
            return tuple(self.policy.refused)
        kinds = set(values(RefusalKind))
        return tuple(i.path for i in self.facts.inputs.values() if i.type.kind == "bool" and i.leaf in kinds)

    @property
    def tests_dir(self) -> Path:
        return self.path / "tests"

    @property
    def tests_dirs(self) -> tuple[Path, ...]:
        """The golden-case folders of this pack and of every pack it extends, the extended ones first."""
        inherited = self.base.tests_dirs if self.base else ()
        return (*inherited, self.tests_dir)


Made = TypeVar("Made")


def once_per_pack(make: Callable[[RulePack], Made]) -> Callable[[RulePack], Made]:
    """``make`` called once per rule pack (by its digest, so an edited pack is another) in this process, under a
    lock: what it makes is shared by every engine of that pack and every thread."""
    made: dict[str, Made] = {}
    lock = threading.Lock()

    @wraps(make)
    def once(pack: RulePack) -> Made:
        with lock:
            if pack.digest not in made:
                made[pack.digest] = make(pack)
            return made[pack.digest]

    return once


def default_pack_path() -> Path:
    """The pack shipped inside the wheel, or the repository's ``rules/`` in a source checkout."""
    shipped = resources.files("accountrules") / "rules"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parents[3] / "rules"


@cache
def load_default() -> RulePack:
    return load_pack(default_pack_path())


def load_pack(path: str | Path, facts: FactSchema = FACTS) -> RulePack:
    """Load and validate the pack in ``path``, whose rules read ``facts``; every problem is a `RulePackError`
    with file and line."""
    if not isinstance(path, (str, os.PathLike)):
        raise UsageError(f"give the folder of a rule pack as a str or a Path; got {type(path).__name__}")
    root = Path(path)
    if root.is_file():
        raise RulePackError("is a file, not a rule pack; give the folder that holds pack.yaml", root)
    if not root.is_dir():
        raise RulePackError("no such rule pack directory; give the folder that holds pack.yaml", root)
    root = root.resolve()
    if facts is not FACTS:  # a schema of the caller's own is not kept between runs
        return _load(root, (), facts)
    return stored.load(root, lambda: _load(root, (), facts), _sources)


def _sources(pack: RulePack) -> list[Path]:
    """The folders whose ``*.yaml`` files a load of ``pack`` read: its own, those of the packs it extends, and
    the default pack's (whose versions and sanctions a pack without its own uses)."""
    folders = [default_pack_path().resolve()]
    link: RulePack | None = pack
    while link is not None:
        folders.append(link.path)
        link = link.base
    return sorted(set(folders))


#: The most packs one chain of ``extends`` may hold (a pack, the pack it extends, …).
MAX_EXTENDS = 16


def _load(root: Path, chain: tuple[Path, ...], facts: FactSchema) -> RulePack:
    if root in chain:
        raise RulePackError("the pack extends itself (a cycle of extends)", root / "pack.yaml")
    if len(chain) >= MAX_EXTENDS:
        raise RulePackError(
            f"extends: a chain of more than {MAX_EXTENDS} packs, each extending the next; extend a pack nearer "
            "the default one",
            chain[0] / "pack.yaml",
        )
    meta_file = root / "pack.yaml"
    if not meta_file.is_file():
        raise RulePackError("a rule pack needs pack.yaml with its name and version", meta_file)
    meta = _validate(PackMeta, read_yaml(meta_file), meta_file)

    base: RulePack | None = None
    if meta.extends:
        base_path = default_pack_path() if meta.extends == "default" else (root / meta.extends)
        if not (base_path / "pack.yaml").is_file():
            raise RulePackError(
                f"extends: no rule pack at '{meta.extends}' ({base_path.resolve()}); "
                "give 'default' or the folder of a pack, relative to this one",
                meta_file,
                line_at(read_yaml(meta_file), ("extends",)),
            )
        base = _load(base_path.resolve(), (*chain, root), facts)

    citations = dict(base.citations) if base else {}
    citations.update(_load_citations(root))
    policy_file = root / "policy.yaml"
    policy_raw: Any = None  # this pack's own policy.yaml as read, for the lines of its problems
    if policy_file.is_file():
        policy_raw = read_yaml(policy_file)
        policy = _validate(Policy, policy_raw, policy_file)
        _check_fields(policy, facts, policy_file, policy_raw)
    elif base:
        policy = base.policy
    else:
        raise RulePackError("a rule pack needs policy.yaml (or `extends:` a pack that has one)", policy_file)

    versions = _load_dated(root, "versions.yaml", Versions, base.versions if base else None)
    sanctions = _load_dated(root, "sanctions.yaml", Sanctions, base.sanctions if base else None)
    _check_data_cites(root, versions, sanctions, citations)

    rules: dict[str, Rule] = {r.id: r for r in base.rules} if base else {}
    for rule_id in meta.remove:
        if rule_id not in rules:
            raise RulePackError(
                f"remove: no rule '{rule_id}' in the extended pack.{suggest(rule_id, rules)}",
                meta_file,
                line_at(read_yaml(meta_file), ("remove",)),
            )
        del rules[rule_id]
    own: dict[str, Rule] = {}
    problems: list[RulePackError] = []  # every broken rule of every file, reported together
    for rule_file in sorted(root.glob("*.yaml")):
        if rule_file.name in RESERVED_FILES:
            continue
        for rule in _load_rules(rule_file, policy, citations, facts, versions, problems):
            if rule.id in own:
                first = own[rule.id]
                problems.append(
                    RulePackError(
                        f"duplicate rule id '{rule.id}' (first at {first.source.name}:{first.line}); rename one",
                        rule_file,
                        rule.line,
                    )
                )
            own[rule.id] = rule
    if problems:
        raise RulePackError.of(problems)
    rules.update(own)
    if not rules:
        raise RulePackError("the pack holds no rules; add a YAML file with a `rules:` list", root)
    if policy_raw is not None:
        _check_policy_step(policy, rules, citations, policy_file, policy_raw)
    ordered = tuple(sorted(rules.values(), key=lambda r: r.id))
    return RulePack(
        name=meta.name,
        version=meta.version,
        description=meta.description,
        path=root,
        digest=_digest(root, base, facts),
        rules=ordered,
        policy=policy,
        citations=citations,
        facts=facts,
        base=base,
        versions=versions,
        sanctions=sanctions,
        _by_id={r.id: r for r in ordered},
    )


def _check_policy_step(
    policy: Policy, rules: dict[str, Rule], citations: dict[str, Citation], path: Path, raw: Any
) -> None:
    """The policy's own trace step and measure scales cite what the catalogue holds, under ids no rule has, and
    the scales fit together (``raw``: the policy file as read, for lines)."""
    steps: list[tuple[str, PolicyStep, tuple[str | int, ...]]] = []
    if policy.cap_step is not None:
        steps.append(("cap_step", policy.cap_step, ("cap_step",)))
    if policy.merge is not None:
        steps.append(("merge", policy.merge, ("merge",)))
    for i, scale in enumerate(policy.measure_scales):
        steps.append((f"measure_scales[{i}]", scale, ("measure_scales", i)))
    for key, step, loc in steps:
        where = line_at(raw, loc)
        if step.id in rules:
            raise RulePackError(f"{key}: id '{step.id}' is a rule's id; give the step an id of its own", path, where)
        for cite in step.cites:
            if cite not in citations:
                hint = suggest(cite, citations)
                raise RulePackError(
                    f"{key}: cites '{cite}', which is not in the citation catalogue.{hint}", path, where
                )
    for key, problem in policy.merge_problems():
        raise RulePackError(f"merge.{key}: {problem}", path, line_at(raw, ("merge", key)))
    for i, problem in policy.scale_problems():
        raise RulePackError(f"measure_scales[{i}]: {problem}", path, line_at(raw, ("measure_scales", i)))


def _check_fields(policy: Policy, facts: FactSchema, path: Path, raw: Any) -> None:
    """The case fields the policy names are fields the rules can read, and each refused flag names a refusal
    (``raw``: the policy file as read, for lines)."""
    for key in ("raising", "refused"):
        for i, name in enumerate(getattr(policy, key) or ()):
            where = line_at(raw, (key, i))
            item = facts.inputs.get(name)
            if item is None:
                hint = suggest(name, facts.inputs)
                raise RulePackError(f"{key}: '{name}' is not a case field that rules read.{hint}", path, where)
            if key == "raising" and item.type.kind == "enum" and not item.ordered:
                raise RulePackError(
                    f"raising: '{name}' has no order; name a flag, a number or an ordered field", path, where
                )
            if key == "refused" and (item.type.kind != "bool" or item.leaf not in values(RefusalKind)):
                kinds = ", ".join(values(RefusalKind))
                raise RulePackError(
                    f"refused: '{name}' is not a flag named after a refusal kind ({kinds})", path, where
                )


def _load_dated(root: Path, name: str, model: type[Any], inherited: Any) -> Any:
    """``versions.yaml`` or ``sanctions.yaml`` of this pack, else the extended pack's, else the default pack's."""
    file = root / name
    if file.is_file():
        return _validate(model, read_yaml(file), file)
    if inherited is not None:
        return inherited
    fallback = default_pack_path() / name
    if fallback.resolve() == file.resolve() or not fallback.is_file():
        raise RulePackError(f"a rule pack needs {name} (or `extends:` a pack that has one)", file)
    return _validate(model, read_yaml(fallback), fallback)


def _check_data_cites(root: Path, versions: Versions, sanctions: Sanctions, citations: dict[str, Citation]) -> None:
    cited: list[tuple[str, str]] = [
        (c, "versions.yaml") for law in versions.government_sanction_laws for c in law.cites
    ]
    cited += [(c, "versions.yaml") for row in versions.crime_thresholds for c in row.cites]
    cited += [(c, "sanctions.yaml") for c in sanctions.correspondence.cites]
    cited += [(c, "sanctions.yaml") for c in sanctions.waiting_periods.cites]
    cited += [(c, "sanctions.yaml") for row in sanctions.without_party_post for c in row.cites]
    for cite, name in cited:
        if (root / name).is_file() and cite not in citations:
            raise RulePackError(
                f"cites '{cite}', which is not in the citation catalogue.{suggest(cite, citations)}", root / name
            )


def _digest(root: Path, base: RulePack | None, facts: FactSchema) -> str:
    h = hashlib.sha256()
    if base:
        h.update(base.digest.encode())
    elif facts is not FACTS:  # the same rules over other facts are another pack
        h.update(repr(sorted((k, sorted(f)) for k, f in facts.types.items())).encode())
    for file in sorted(root.glob("*.yaml")):
        h.update(file.name.encode() + b"\0" + read_pack_file(file) + b"\0")
    return "sha256:" + h.hexdigest()


def _validate(model: type[Any], data: Any, path: Path) -> Any:
    if not isinstance(data, dict):
        raise RulePackError("expected a mapping at the top of the file", path, 1)
    try:
        return model.model_validate(plain(data))
    except ValidationError as exc:
        err = _first_error(exc)
        loc = tuple(err["loc"])
        message = f"{json_path(loc) or 'file'}: {_pydantic_message(err, model)}"
        raise RulePackError(message, path, line_at(data, loc)) from None


def _first_error(exc: ValidationError) -> Any:
    """The error to report: an unknown key first, since a misspelt key also makes its right spelling missing."""
    errors = exc.errors(include_url=False)
    return next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])


def _pydantic_message(err: Any, model: type[BaseModel] | None = None) -> str:
    if err["type"] == "extra_forbidden":
        key = str(err["loc"][-1])
        known = known_fields(model, tuple(err["loc"])) if model else []
        return f"unknown key '{key}'; remove it or correct its name.{suggest(key, known)}"
    if err["type"] == "missing":
        return "required key is missing"
    if err["type"] in {"literal_error", "enum"} and isinstance(err.get("input"), str):
        allowed = allowed_values(err)
        return f"'{err['input']}' is not one of {', '.join(allowed)}.{suggest(err['input'], allowed)}"
    if err["type"] == "string_type":
        return _not_text(err.get("input"))
    msg: str = err["msg"]
    if err["type"] == "value_error":
        msg = msg.removeprefix("Value error, ")  # the check's own sentence says what is wrong
    return msg[0].lower() + msg[1:]


def _not_text(given: Any) -> str:
    """Why a value YAML read as something else is not the text a key wants, and the fix: YAML reads ``2024.10``
    as a number and ``yes`` as true unless they are quoted."""
    if isinstance(given, bool):
        shown = "true" if given else "false"
        return f"expected text, got {shown} (YAML reads yes, no, on and off as true or false); write it in quotes"
    if isinstance(given, (int, float)):
        return f"expected text, got the number {given}; write it in quotes"
    if given is None:
        return "expected text, got nothing; write the value"
    return f"expected text, got {'a list' if isinstance(given, list) else 'a mapping'}"


def _load_citations(root: Path) -> dict[str, Citation]:
    file = root / "citations.yaml"
    if not file.is_file():
        return {}
    data = read_yaml(file)
    if not isinstance(data, dict) or not isinstance(data.get("citations"), dict):
        raise RulePackError("expected `citations:` mapping each id to its paraphrase", file, 1)
    out: dict[str, Citation] = {}
    entries: LineMap = data["citations"]
    for key, value in entries.items():
        line = entries.line_of(key)
        if ":" not in key:
            raise RulePackError(f"citation id '{key}' must read KEY:ARTICLE (speech:P20, acct2019:6)", file, line)
        # The one-line form `id: paraphrase` (SPEC §6) records no verification; the mapping form does, and a
        # provision it calls verified must say where its text was read.
        body = {"paraphrase": value} if isinstance(value, str) else value
        if not isinstance(body, dict):
            raise RulePackError(f"citation '{key}': give a paraphrase string or a mapping", file, line)
        try:
            citation = Citation.model_validate(plain(body))
        except ValidationError as exc:
            err = _first_error(exc)
            loc = tuple(err["loc"])
            message = f"citation '{key}': {json_path(loc)}: {_pydantic_message(err, Citation)}"
            raise RulePackError(message, file, line_at(value, loc) or line) from None
        if isinstance(value, dict) and citation.verified and citation.source is None:
            raise RulePackError(
                f"citation '{key}': say where its text was read (`source: {{title: …, url: …}}`) "
                "or mark it `verified: false`",
                file,
                line,
            )
        out[key] = citation
    return out


def _load_rules(
    path: Path,
    policy: Policy,
    citations: dict[str, Citation],
    facts: FactSchema,
    versions: Versions,
    problems: list[RulePackError],
) -> Iterable[Rule]:
    """The rules of one file that are sound; the first problem of each other rule, or of the file itself, goes
    to ``problems``, so that one run reports every broken rule."""
    try:
        data = read_yaml(path)
        if not isinstance(data, LineMap) or not isinstance(data.get("rules"), list):
            raise RulePackError("a rule file holds `rules:`, a list of rules", path, 1)
        extra = set(data) - {"rules"}
        if extra:
            raise RulePackError(
                f"unknown top-level key '{sorted(extra)[0]}'; a rule file holds only `rules:`",
                path,
                data.line_of(sorted(extra)[0]),
            )
    except RulePackError as exc:
        problems.append(exc)
        return
    items: LineList = data["rules"]
    for i, raw in enumerate(items):
        try:
            yield _load_rule(path, i, raw, items.item_lines[i], policy, citations, facts, versions)
        except RulePackError as exc:
            problems.append(exc)


def _load_rule(
    path: Path,
    i: int,
    raw: Any,
    line: int,
    policy: Policy,
    citations: dict[str, Citation],
    facts: FactSchema,
    versions: Versions,
) -> Rule:
    if not isinstance(raw, LineMap):
        raise RulePackError("each rule is a mapping with id, title, cites, basis, when and then", path, line)
    try:
        spec = RuleSpec.model_validate(plain(raw))
    except ValidationError as exc:
        err = _first_error(exc)
        loc = tuple(err["loc"])
        where = line_at(raw, loc) or line
        rid = raw.get("id", f"#{i + 1}")
        message = f"rule '{rid}': {json_path(loc)}: {_pydantic_message(err, RuleSpec)}"
        raise RulePackError(message, path, where) from None
    return _build_rule(spec, raw, path, line, policy, citations, facts, versions)


class _RuleChecker:
    """Checks one rule's patterns and effect against the fact vocabulary and the policy."""

    def __init__(self, spec: RuleSpec, raw: LineMap, path: Path, policy: Policy, schema: FactSchema) -> None:
        self.spec = spec
        self.raw = raw
        self.path = path
        self.policy = policy
        self.schema = schema
        self.facts = facts_for_stage(spec.stage, tuple(policy.finding_kinds), schema)
        self.aliases: dict[str, str] = {}

    def fail(self, message: str, loc: tuple[int | str, ...]) -> RulePackError:
        return RulePackError(f"rule '{self.spec.id}' {message}", self.path, line_at(self.raw, loc) or self.raw.line)

    def patterns(self) -> tuple[Pattern, ...]:
        out: list[Pattern] = []
        raw_when: LineList = self.raw["when"]
        for i, item in enumerate(self.spec.when):
            loc: tuple[int | str, ...] = ("when", i)
            if len(item) != 1:
                raise self.fail("has a pattern with more than one fact; write one fact per list item", loc)
            ((head, body),) = item.items()
            negated = head.startswith("not ")
            fact = head[4:].strip() if negated else head.strip()
            if fact not in self.facts:
                hint = suggest(fact, self.facts)
                if not hint and fact in facts_for_stage("resolved", tuple(self.policy.finding_kinds), self.schema):
                    hint = " It is a fact of the resolved stage; add `stage: resolved` to the rule."
                raise self.fail(f"reads fact '{fact}', which is not a fact of the {self.spec.stage} stage.{hint}", loc)
            body = body if body is not None else {}
            if not isinstance(body, dict):
                raise self.fail(f"pattern '{head}' must map fields to conditions", loc)
            alias = body.get("as", fact)
            if negated and "as" in body:
                raise self.fail("names a negated pattern with `as`; nothing can refer to an absent fact", loc)
            if not isinstance(alias, str) or not alias.isidentifier():
                raise self.fail(f"uses alias {alias!r}; an alias is a lowercase name", loc)
            if not negated and alias in self.aliases:
                raise self.fail(f"uses alias '{alias}' twice; give the second pattern `as: other_name`", loc)
            fields = self.facts[fact]
            tests = tuple(
                self.test(fact, fields, name, cond, (*loc, head, name)) for name, cond in body.items() if name != "as"
            )
            line = raw_when.item_lines[i] if isinstance(raw_when, LineList) else 0
            out.append(Pattern(fact, alias if not negated else f"not_{i}", negated, tests, line))
            if not negated:
                self.aliases[alias] = fact
        if not any(not p.negated for p in out):
            raise self.fail("has only negated patterns; add at least one fact that must be present", ("when",))
        return tuple(out)

    def test(self, fact: str, fields: dict[str, FieldType], name: str, cond: Any, loc: tuple[int | str, ...]) -> Test:
        line = line_at(self.raw, loc) or 0
        if name == "any":
            if not isinstance(cond, list) or not cond or not all(isinstance(c, dict) for c in cond):
                raise self.fail("has `any:` that is not a list of alternatives (mappings)", loc)
            alternatives = tuple(
                tuple(self.test(fact, fields, n, c, (*loc, j, n)) for n, c in alt.items()) for j, alt in enumerate(cond)
            )
            return Test("any", "any", alternatives, line)
        if name not in fields:
            hint = _renamed(name, fields) or suggest(name, fields)
            raise self.fail(
                f"reads field '{fact}.{name}', which does not exist.{hint} Fields of '{fact}': {', '.join(fields)}",
                loc,
            )
        ftype = fields[name]
        if isinstance(cond, dict):
            if len(cond) != 1:
                raise self.fail(f"gives '{name}' a mapping with {len(cond)} keys; use one of not, <, <=, >, >=", loc)
            ((op_text, operand),) = cond.items()
            if op_text == "not":
                if isinstance(operand, list):
                    return Test(name, "not_in", tuple(self.constant(fact, name, ftype, v, loc) for v in operand), line)
                return Test(name, "ne", self.operand(fact, name, ftype, operand, loc), line)
            if op_text not in COMPARISONS:
                raise self.fail(f"uses operator '{op_text}' on '{name}'; use one of not, <, <=, >, >=", loc)
            if ftype.kind != "int":
                raise self.fail(f"compares '{fact}.{name}' with '{op_text}', but it is not a number", loc)
            return Test(name, COMPARISONS[op_text], self.operand(fact, name, ftype, operand, loc), line)
        if isinstance(cond, list):
            if not cond:
                raise self.fail(f"gives '{name}' an empty list; nothing could match", loc)
            return Test(name, "in", tuple(self.constant(fact, name, ftype, v, loc) for v in cond), line)
        return Test(name, "eq", self.operand(fact, name, ftype, cond, loc), line)

    def operand(self, fact: str, name: str, ftype: FieldType, value: Any, loc: tuple[int | str, ...]) -> Any:
        if isinstance(value, str) and value.startswith("$"):
            ref = self.ref(value, loc)
            other = self.field_type(ref)
            if other.kind != ftype.kind or (ftype.kind == "enum" and not set(ftype.choices) & set(other.choices)):
                raise self.fail(f"compares '{fact}.{name}' ({ftype.kind}) with {value} ({other.kind})", loc)
            return ref
        return self.constant(fact, name, ftype, value, loc)

    def constant(self, fact: str, name: str, ftype: FieldType, value: Any, loc: tuple[int | str, ...]) -> Any:
        if ftype.kind == "id":
            raise self.fail(f"compares the id field '{fact}.{name}' with a constant; ids only join ($alias.field)", loc)
        if ftype.kind == "bool" and not isinstance(value, bool):
            raise self.fail(f"gives '{fact}.{name}' the value {value!r}; it is true or false", loc)
        if ftype.kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(f"gives '{fact}.{name}' the value {value!r}; it is a whole number", loc)
        if ftype.kind == "enum" and value not in ftype.choices:
            raise self.fail(
                f"reads fact '{fact}.{name}' value '{value}', which is not one of its values."
                f"{suggest(str(value), ftype.choices)}",
                loc,
            )
        return value

    def ref(self, text: str, loc: tuple[int | str, ...]) -> Ref:
        import re

        if not re.match(REF_PATTERN, text):
            raise self.fail(f"has reference '{text}'; write $alias.field", loc)
        ref = Ref.parse(text)
        if ref.alias not in self.aliases:
            raise self.fail(
                f"refers to '${ref.alias}', which no earlier pattern names.{suggest(ref.alias, self.aliases)}", loc
            )
        self.field_type(ref, loc)
        return ref

    def field_type(self, ref: Ref, loc: tuple[int | str, ...] = ()) -> FieldType:
        fields = self.facts[self.aliases[ref.alias]]
        if ref.field not in fields:
            hint = _renamed(ref.field, fields, ref.alias) or suggest(ref.field, fields)
            raise self.fail(
                f"refers to '{ref}', but '{self.aliases[ref.alias]}' has no field '{ref.field}'.{hint}"
                f" Fields of '{self.aliases[ref.alias]}': {', '.join(fields)}",
                loc,
            )
        return fields[ref.field]

    def effect(self, patterns: tuple[Pattern, ...]) -> tuple[str, Any]:
        kind, effect = self.spec.then.effect()
        loc: tuple[int | str, ...] = ("then", kind)
        set_fields = [n for n in type(self.spec.then).model_fields if getattr(self.spec.then, n) is not None]
        if len(set_fields) != 1:
            raise self.fail(f"has {len(set_fields)} effects under then; give exactly one", ("then",))
        for name in type(effect).model_fields if isinstance(effect, BaseModel) else ():
            value = getattr(effect, name)
            if isinstance(value, str) and value.startswith("$"):
                self.ref(value, (*loc, name))
        kinds = self.policy.finding_kinds
        if isinstance(effect, FindingEffect):
            if effect.kind not in kinds:
                raise self.fail(
                    f"produces a finding of kind '{effect.kind}', which the policy does not declare."
                    f"{suggest(effect.kind, kinds)}",
                    (*loc, "kind"),
                )
            if isinstance(effect.range, TableRange):
                if effect.range.table not in self.policy.tables:
                    raise self.fail(
                        f"looks up table '{effect.range.table}', which the policy does not declare."
                        f"{suggest(effect.range.table, self.policy.tables)}",
                        (*loc, "range"),
                    )
                for term in effect.range.index:
                    if isinstance(term, str):
                        t = self.field_type(self.ref(term, (*loc, "range")))
                        if t.kind not in {"int", "bool"}:
                            raise self.fail(f"indexes a table with {term}, which is not a number", (*loc, "range"))
            else:
                lo, hi = effect.range
                if not 0 <= lo <= hi <= 4:
                    raise self.fail(f"has range [{lo}, {hi}]; forms run 0 to 4, lowest first", (*loc, "range"))
        for target in getattr(effect, "applies_to", ()):
            if target not in kinds:
                raise self.fail(
                    f"applies to '{target}', which is not a finding kind.{suggest(target, kinds)}", (*loc, "applies_to")
                )
        if kind == "measure" and effect.at_least is not None:
            form, measure = effect.at_least
            if measure not in FORM_MEASURES.get(form, ()):
                raise self.fail(
                    f"gives at_least [{form}, {measure}], but '{measure}' is not a measure of form {form}",
                    (*loc, "at_least"),
                )
        if kind == "tally" and effect.name not in self.policy.tallies:
            raise self.fail(
                f"tallies '{effect.name}', which the policy does not declare."
                f"{suggest(effect.name, self.policy.tallies)}",
                (*loc, "name"),
            )
        if kind == "refusal" and isinstance(effect.kind, str) and effect.kind.startswith("$"):
            self.check_refusal_ref(Ref.parse(effect.kind), patterns, loc)
        return kind, effect

    def check_refusal_ref(self, ref: Ref, patterns: tuple[Pattern, ...], loc: tuple[int | str, ...]) -> None:
        """A refusal kind read from a fact must be restricted, by the pattern, to refusal kinds."""
        allowed = set(values(RefusalKind))
        pattern_tests = [t for p in patterns if p.alias == ref.alias for t in p.tests if t.field == ref.field]
        constants: set[Any] = set()
        for t in pattern_tests:
            if t.op == "eq" and not isinstance(t.value, Ref):
                constants.add(t.value)
            elif t.op == "in":
                constants.update(t.value)
        if not constants or not constants <= allowed:
            bad = sorted(constants - allowed) or ["any value"]
            raise self.fail(
                f"takes its refusal kind from {ref}, which may be {bad[0]!r}; restrict "
                f"'{ref.field}' in that pattern to refusal kinds",
                (*loc, "kind"),
            )


def _build_rule(
    spec: RuleSpec,
    raw: LineMap,
    path: Path,
    line: int,
    policy: Policy,
    citations: dict[str, Citation],
    facts: FactSchema,
    versions: Versions,
) -> Rule:
    checker = _RuleChecker(spec, raw, path, policy, facts)
    held_in = _rule_versions(checker, spec, versions)
    for i, cite in enumerate(spec.cites):
        if cite not in citations:
            raise checker.fail(
                f"cites '{cite}', which is not in the citation catalogue.{suggest(cite, citations)}", ("cites", i)
            )
        if not citations[cite].verified and spec.verified:
            raise checker.fail(
                f"cites '{cite}', which rests on an unverified provision; add `verified: false`", ("cites", i)
            )
    patterns = checker.patterns()
    effect_kind, effect = checker.effect(patterns)
    return Rule(
        id=spec.id,
        title_zh=spec.title.zh,
        title_en=spec.title.en,
        cites=tuple(spec.cites),
        basis=spec.basis,
        verified=spec.verified,
        stage=spec.stage,
        salience=spec.salience,
        patterns=patterns,
        effect_kind=effect_kind,
        effect=effect,
        source=path,
        line=line,
        fact_keys=_fact_keys(patterns),
        versions=held_in,
    )


def _rule_versions(checker: _RuleChecker, spec: RuleSpec, versions: Versions) -> frozenset[str]:
    """The versions a rule's `versions:` selects (every version when absent)."""
    if spec.versions is None:
        held_in = frozenset(versions.ids)
    else:
        names = [*versions.ids, *sorted(versions.regulations)]
        for i, name in enumerate(spec.versions):
            if not versions.resolve([name]):
                raise checker.fail(
                    f"holds in version '{name}', which is neither a version nor a regulation of versions.yaml."
                    f"{suggest(name, names)} Versions: {', '.join(versions.ids)}",
                    ("versions", i),
                )
        held_in = versions.resolve(spec.versions)
    return held_in


def _renamed(name: str, fields: Iterable[str], alias: str | None = None) -> str:
    """`` 'p' is now called 'person'.`` (with ``alias``: ``…: write $alias.person.``) when ``name`` is the former
    name of one of ``fields`` (`FORMER_NAMES`), or nothing."""
    new = FORMER_NAMES.get(name)
    if new is None or new not in fields:
        return ""
    return f" '{name}' is now called '{new}'" + (f": write ${alias}.{new}." if alias else ".")


def _fact_keys(patterns: tuple[Pattern, ...]) -> tuple[tuple[str, str, str], ...]:
    """(trace key, alias, field) for every field a positive pattern tests against a constant."""
    pairs = [(p.alias, f) for p in patterns if not p.negated for f in p.constant_fields()]
    names = [f for _, f in pairs]
    return tuple((f if names.count(f) == 1 else f"{alias}.{f}", alias, f) for alias, f in pairs)
