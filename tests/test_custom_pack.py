"""Custom rule packs: extending and overriding the default by rule id, and errors that name file, line and fix."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accountrules import Engine
from accountrules.cli import app
from accountrules.errors import RulePackError
from accountrules.rulepack import load_default, load_pack
from accountrules.rulepack.pack import Source, default_pack_path
from accountrules.rulepack.spec import FindingEffect

PACKS = Path(__file__).resolve().parent / "packs"
PROVINCIAL = PACKS / "provincial"

RULE = """\
rules:
  - id: T-RULE
    title: {zh: "测试", en: "test"}
    cites: [speech:P20]
    basis: A rule written for this test.
    when:
      - act: {act: concealed}
    then:
      modifier: {kind: heavier, person: $act.person, violation: $act.violation, applies_to: [leader]}
"""


def case(*violations: dict[str, object], conduct: list[dict[str, object]] | None = None) -> dict[str, object]:
    offenders = sorted({p for v in violations for p in v["offenders"]})  # type: ignore[attr-defined]
    return {
        "case_id": "custom",
        "unit": {"name": "某县", "level": "county"},
        "people": [{"id": p, "roles": ["staff"]} for p in offenders] + [{"id": "l1", "roles": ["team_member"]}],
        "violations": list(violations),
        "conduct": conduct or [],
    }


def violation(vid: str, offender: str, **fields: object) -> dict[str, object]:
    return {"id": vid, "kind": "corruption", "severity": "minor", "area": "other", "offenders": [offender], **fields}


def write_pack(root: Path, files: dict[str, str], meta: str = "extends: default\n") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pack.yaml").write_text(f'name: test\nversion: "1"\n{meta}', encoding="utf-8")
    for name, text in files.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


def load_error(root: Path) -> str:
    with pytest.raises(RulePackError) as info:
        load_pack(root)
    return str(info.value)


# ---------------------------------------------------------------------------------------------------------------
# Extending and overriding


def test_override_replaces_the_default_rule_of_the_same_id() -> None:
    """A rule with a default rule's id replaces it: its range and its source are the pack's own."""
    rule = load_pack(PROVINCIAL).rule("O-SEVERITY-MINOR")
    assert isinstance(rule.effect, FindingEffect)
    assert (rule.effect.range, rule.source, rule.line) == ((1, 2), PROVINCIAL / "offence.yaml", 3)


def test_remove_drops_a_default_rule() -> None:
    """`remove:` in pack.yaml drops the named rule of the extended pack."""
    with pytest.raises(KeyError, match="no rule 'O-PUBLIC-INTEREST' in pack 'provincial'"):
        load_pack(PROVINCIAL).rule("O-PUBLIC-INTEREST")


def test_extended_pack_keeps_every_other_rule_and_adds_its_own() -> None:
    """The default's rules, less the removed one, plus the new one; an override does not add a rule."""
    default_ids = {r.id for r in load_default().rules}
    ids = {r.id for r in load_pack(PROVINCIAL).rules}
    assert ids == (default_ids - {"O-PUBLIC-INTEREST"}) | {"O-PUBLIC-INTEREST-RURAL"}


def test_extended_pack_inherits_policy_and_extends_citations() -> None:
    """Without policy.yaml the default policy applies; the pack's catalogue adds to the default one."""
    pack, default = load_pack(PROVINCIAL), load_default()
    assert pack.policy == default.policy
    assert set(pack.citations) == set(default.citations) | {"prov2021:12"}
    assert (pack.name, pack.version) == ("provincial", "2021.1")


def test_extended_pack_decides_with_its_own_rules() -> None:
    """Evaluated with the provincial pack: the overridden range, and heavier only in the narrowed areas."""
    engine = Engine.from_path(PROVINCIAL)
    d = engine.evaluate(
        case(
            violation("v1", "p1"),
            violation("v2", "p2", area="education", severity="serious"),
            violation("v3", "p3", area="agricultural_subsidies", severity="serious"),
        )
    )
    results = {p.person: (p.range, p.form, p.measure, [m.kind for m in p.modifiers]) for p in d.people}
    assert results == {
        "p1": ((1, 2), 1, "reminder", []),
        # not heavier: a fairly serious corrupt act sits in [3,3] at removal from party posts, which a staff member
        # without a post receives as a serious warning (V9)
        "p2": ((3, 3), 2, "serious_warning", []),
        # heavier: the one form's heavier measure, probation, which needs no party post
        "p3": ((3, 3), 3, "probation", ["heavier"]),
    }
    assert (d.rulepack.name, d.rulepack.version) == ("provincial", "2021.1")


def test_default_pack_still_decides_the_default_way() -> None:
    """Loading a custom pack leaves the default engine as it was."""
    Engine.from_path(PROVINCIAL)
    d = Engine.default().evaluate(case(violation("v1", "p1", area="poverty_alleviation", severity="ordinary")))
    assert [(p.person, p.form, [m.kind for m in p.modifiers]) for p in d.people] == [("p1", 2, ["heavier"])]


def test_a_pack_may_extend_a_custom_pack_by_path(tmp_path: Path) -> None:
    """`extends:` a folder, relative to the pack: the chain default → provincial → local."""
    relative = os.path.relpath(PROVINCIAL, tmp_path / "local")
    local = write_pack(tmp_path / "local", {"extra.yaml": RULE}, meta=f"extends: {relative}\nremove: [O-LIFESAVING]\n")
    pack = load_pack(local)
    ids = {r.id for r in pack.rules}
    assert {"O-PUBLIC-INTEREST-RURAL", "T-RULE"} <= ids
    assert "O-LIFESAVING" not in ids
    assert "O-PUBLIC-INTEREST" not in ids


def test_a_pack_that_extends_itself_is_refused(tmp_path: Path) -> None:
    """A cycle of `extends:` is an error, not a hang."""
    root = write_pack(tmp_path / "loop", {}, meta="extends: .\n")
    assert load_error(root) == f"{root.resolve() / 'pack.yaml'}: the pack extends itself (a cycle of extends)"


def test_pack_without_rules_of_its_own_is_the_default_under_another_name(tmp_path: Path) -> None:
    """An empty extension decides exactly as the default pack does."""
    root = write_pack(tmp_path / "empty", {})
    example = case(violation("v1", "p1", lifesaving_funds=True), conduct=[])
    mine = json.loads(Engine.from_path(root).evaluate(example).to_json())
    default = json.loads(Engine.default().evaluate(example).to_json())
    assert mine.pop("rulepack")["name"] == "test"
    default.pop("rulepack")
    assert mine == default


# ---------------------------------------------------------------------------------------------------------------
# Errors with file, line and a suggestion


def test_unknown_fact(tmp_path: Path) -> None:
    """A misspelt fact type names the file, line and the fact meant."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("- act: {act: concealed}", "- acts: {act: concealed}")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:7: rule 'T-RULE' reads fact 'acts', which is not a fact of the facts stage. "
        "Did you mean 'act'?"
    )


def test_fact_of_the_other_stage(tmp_path: Path) -> None:
    """A resolved-stage fact in a facts-stage rule says which stage it belongs to."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("- act: {act: concealed}", "- result: {form: 2}")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:7: rule 'T-RULE' reads fact 'result', which is not a fact of the facts stage. "
        "It is a fact of the resolved stage; add `stage: resolved` to the rule."
    )


def test_unknown_field(tmp_path: Path) -> None:
    """A misspelt field names the field meant and lists the fields of the fact."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("- act: {act: concealed}", "- act: {acts: concealed}")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:7: rule 'T-RULE' reads field 'act.acts', which does not exist. "
        "Did you mean 'act'? Fields of 'act': person, violation, act"
    )


def test_unknown_enum_value(tmp_path: Path) -> None:
    """A value outside the vocabulary suggests the closest value: did you mean 'concealed'?"""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("act: concealed}", "act: concealment}")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:7: rule 'T-RULE' reads fact 'act.act' value 'concealment', "
        "which is not one of its values. Did you mean 'concealed'?"
    )


def test_unknown_effect_value(tmp_path: Path) -> None:
    """A modifier kind outside the vocabulary lists the kinds and suggests one."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("kind: heavier", "kind: heavy")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:9: rule 'T-RULE': then.modifier.kind: 'heavy' is not one of lighter, reduced, "
        "heavier, increased, top_of_range, exempt. Did you mean 'heavier'?"
    )


def test_reference_to_no_pattern(tmp_path: Path) -> None:
    """A reference to an alias that no earlier pattern names suggests the alias meant."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("person: $act.person", "person: $akt.person")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:9: rule 'T-RULE' refers to '$akt', which no earlier pattern names. "
        "Did you mean 'act'?"
    )


def test_reference_to_no_field(tmp_path: Path) -> None:
    """A reference to a field the fact lacks lists the fields it has."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("person: $act.person", "person: $act.who")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:9: rule 'T-RULE' refers to '$act.who', but 'act' has no field 'who'. "
        "Fields of 'act': person, violation, act"
    )


def test_reference_to_a_former_field_name(tmp_path: Path) -> None:
    """A reference to a field by its former short name (``$act.p``) is refused with the name to write instead."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("person: $act.person", "person: $act.p")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:9: rule 'T-RULE' refers to '$act.p', but 'act' has no field 'p'. "
        "'p' is now called 'person': write $act.person. Fields of 'act': person, violation, act"
    )


def test_condition_on_a_former_field_name(tmp_path: Path) -> None:
    """A condition on a field by its former short name (``s``) is refused with the field's name now."""
    rule = RULE.replace("- act: {act: concealed}", "- act: {act: concealed}\n      - violation: {s: 2}")
    root = write_pack(tmp_path / "p", {"x.yaml": rule})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:8: rule 'T-RULE' reads field 'violation.s', which does not exist. "
        "'s' is now called 'severity_rank'. Fields of 'violation': violation, kind, severity, severity_rank, area, "
        "lifesaving_funds, suspected_crime, long_term_spread, first_offence, minor_error, many_participants"
    )


def test_duplicate_rule_id(tmp_path: Path) -> None:
    """Two rules of the pack with one id name both places."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE, "y.yaml": RULE})
    assert (
        load_error(root) == f"{root.resolve() / 'y.yaml'}:2: duplicate rule id 'T-RULE' (first at x.yaml:2); rename one"
    )


def _entry(rule_id: str, old: str = "", new: str = "") -> str:
    """RULE's one rule under another id, with ``old`` replaced by ``new``, as an item of a `rules:` list."""
    return RULE.removeprefix("rules:\n").replace("T-RULE", rule_id).replace(old, new)


def _three_broken_rules(root: Path) -> Path:
    """A pack with three broken rules in two files, and a sound one between them."""
    return write_pack(
        root,
        {
            "x.yaml": "rules:\n" + _entry("T-FIRST", "act: concealed}", "act: concealment}"),
            "y.yaml": "rules:\n"
            + _entry("T-SOUND")
            + _entry("T-SECOND", "kind: heavier", "kind: heavy")
            + _entry("T-THIRD", "person: $act.person", "person: $akt.person"),
        },
    )


def test_every_broken_rule_is_reported_at_once(tmp_path: Path) -> None:
    """A pack with three broken rules reports all three, each with its file, line, rule id and field."""
    root = _three_broken_rules(tmp_path / "p")
    x, y = root.resolve() / "x.yaml", root.resolve() / "y.yaml"
    assert load_error(root).split("\n") == [
        f"{x}:7: rule 'T-FIRST' reads fact 'act.act' value 'concealment', which is not one of its values. "
        "Did you mean 'concealed'?",
        f"{y}:17: rule 'T-SECOND': then.modifier.kind: 'heavy' is not one of lighter, reduced, heavier, increased, "
        "top_of_range, exempt. Did you mean 'heavier'?",
        f"{y}:25: rule 'T-THIRD' refers to '$akt', which no earlier pattern names. Did you mean 'act'?",
    ]


def test_the_error_of_a_pack_lists_its_problems(tmp_path: Path) -> None:
    """`RulePackError.problems` holds one error per broken rule, with its own file and line; the error's own
    file and line are the first's."""
    root = _three_broken_rules(tmp_path / "p")
    with pytest.raises(RulePackError) as info:
        load_pack(root)
    error = info.value
    assert [(p.path.name if p.path else None, p.line) for p in error.problems] == [
        ("x.yaml", 7),
        ("y.yaml", 17),
        ("y.yaml", 25),
    ]
    assert (error.path, error.line) == (error.problems[0].path, 7)


def test_citation_missing_from_the_catalogue(tmp_path: Path) -> None:
    """A citation outside the catalogue suggests the closest id."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("[speech:P20]", "[speech:P21]")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:4: rule 'T-RULE' cites 'speech:P21', which is not in the citation catalogue. "
        "Did you mean 'speech:P20'?"
    )


def test_unverified_citation_needs_verified_false(tmp_path: Path) -> None:
    """Citing an unverified provision without `verified: false` says what to add."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("[speech:P20]", "[acct2019:18]")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:4: rule 'T-RULE' cites 'acct2019:18', which rests on an unverified provision; "
        "add `verified: false`"
    )


def test_unverified_citation_with_verified_false_loads(tmp_path: Path) -> None:
    """With `verified: false` the same rule loads and says so."""
    text = RULE.replace("[speech:P20]", "[acct2019:18]").replace("    basis:", "    verified: false\n    basis:")
    root = write_pack(tmp_path / "p", {"x.yaml": text})
    assert load_pack(root).rule("T-RULE").verified is False


def catalogue(entry: str) -> str:
    """A citations.yaml with one entry, `prov2021:1`, written as ``entry`` (indented under its id)."""
    return "citations:\n  prov2021:1:\n" + "".join(f"    {line}\n" for line in entry.splitlines())


def test_verified_citation_without_source_says_what_to_add(tmp_path: Path) -> None:
    """A catalogue entry that claims to be verified but says nothing of where it was read is refused."""
    root = write_pack(tmp_path / "p", {"citations.yaml": catalogue("paraphrase: A provincial rule.")})
    assert load_error(root) == (
        f"{root.resolve() / 'citations.yaml'}:2: citation 'prov2021:1': say where its text was read "
        "(`source: {title: …, url: …}`) or mark it `verified: false`"
    )


def test_unverified_citation_needs_no_source(tmp_path: Path) -> None:
    """`verified: false` without a source loads, and the entry says it is unverified."""
    entry = "paraphrase: A provincial rule.\nverified: false"
    root = write_pack(tmp_path / "p", {"citations.yaml": catalogue(entry)})
    citation = load_pack(root).citations["prov2021:1"]
    assert (citation.verified, citation.source) == (False, None)


def test_citation_source_records_title_and_address(tmp_path: Path) -> None:
    """A verified entry keeps the title and the address of the text it was read in."""
    entry = 'paraphrase: A provincial rule.\nsource: {title: "Provincial gazette 2021", url: "https://example.org/g"}'
    root = write_pack(tmp_path / "p", {"citations.yaml": catalogue(entry)})
    source = load_pack(root).citations["prov2021:1"].source
    assert source == Source(title="Provincial gazette 2021", url="https://example.org/g")


def test_citation_source_address_must_be_a_web_address(tmp_path: Path) -> None:
    """A source address that is not http(s) is an error naming the citation, the field and the line."""
    entry = 'paraphrase: A provincial rule.\nsource: {title: "Gazette", url: "gazette.pdf"}'
    root = write_pack(tmp_path / "p", {"citations.yaml": catalogue(entry)})
    assert load_error(root) == (
        f"{root.resolve() / 'citations.yaml'}:4: citation 'prov2021:1': source.url: "
        "give the web address it was read at, starting with https://"
    )


def test_citation_source_unknown_key_suggests_the_field(tmp_path: Path) -> None:
    """A misspelt key inside `source` names the field it was meant to be."""
    entry = 'paraphrase: A provincial rule.\nsource: {titel: "Gazette"}'
    root = write_pack(tmp_path / "p", {"citations.yaml": catalogue(entry)})
    assert load_error(root) == (
        f"{root.resolve() / 'citations.yaml'}:4: citation 'prov2021:1': source.titel: "
        "unknown key 'titel'; remove it or correct its name. Did you mean 'title'?"
    )


def test_default_catalogue_says_where_each_verified_provision_was_read() -> None:
    """Every provision the default pack calls verified names the text it was read in."""
    unsourced = [key for key, c in load_default().citations.items() if c.verified and c.source is None]
    assert unsourced == []


def test_rules_show_prints_where_a_citation_was_read(tmp_path: Path) -> None:
    """`rules show` prints, under a cited provision, the title and address of the text it was read in."""
    entry = 'paraphrase: A provincial rule.\nsource: {title: "Provincial gazette 2021", url: "https://example.org/g"}'
    rule = RULE.replace("[speech:P20]", "[prov2021:1]")
    root = write_pack(tmp_path / "p", {"citations.yaml": catalogue(entry), "x.yaml": rule})
    shown = CliRunner().invoke(app, ["rules", "show", "T-RULE", "--rules", str(root)], env={"COLUMNS": "200"})
    cited = [line.strip() for line in shown.stdout.splitlines() if "prov2021" in line or "出处" in line]
    assert (shown.exit_code, cited) == (
        0,
        [
            "引用 Cites     prov2021:1: A provincial rule.",
            "出处 read in: Provincial gazette 2021 <https://example.org/g>",
        ],
    )


def test_yaml_syntax_error(tmp_path: Path) -> None:
    """Broken YAML names the line where the parser stopped."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace('en: "test"}', 'en: "test"')})
    assert load_error(root) == f"{root.resolve() / 'x.yaml'}:4: not valid YAML: did not find expected ',' or '}}'"


def test_unknown_policy_key(tmp_path: Path) -> None:
    """A misspelt policy key is reported as unknown, with the key meant, not as the key it makes missing."""
    policy = (default_pack_path() / "policy.yaml").read_text(encoding="utf-8")
    assert "crime_severity:" in policy
    root = write_pack(tmp_path / "p", {"policy.yaml": policy.replace("crime_severity:", "crime_severty:")})
    line = policy.splitlines().index(next(x for x in policy.splitlines() if x.startswith("crime_severity:"))) + 1
    assert load_error(root) == (
        f"{root.resolve() / 'policy.yaml'}:{line}: crime_severty: unknown key 'crime_severty'; "
        "remove it or correct its name. Did you mean 'crime_severity'?"
    )


def test_unknown_rule_key(tmp_path: Path) -> None:
    """A misspelt key of a rule suggests the key meant."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("    basis:", "    salince: 3\n    basis:")})
    assert load_error(root) == (
        f"{root.resolve() / 'x.yaml'}:5: rule 'T-RULE': salince: unknown key 'salince'; remove it or correct its "
        "name. Did you mean 'salience'?"
    )


def test_unknown_pack_key(tmp_path: Path) -> None:
    """A misspelt key of pack.yaml suggests `extends`."""
    root = write_pack(tmp_path / "p", {}, meta="extend: default\n")
    assert load_error(root) == (
        f"{root.resolve() / 'pack.yaml'}:3: extend: unknown key 'extend'; remove it or correct its name. "
        "Did you mean 'extends'?"
    )


def test_remove_of_an_unknown_rule(tmp_path: Path) -> None:
    """`remove:` of a rule the extended pack lacks suggests the id meant."""
    root = write_pack(tmp_path / "p", {}, meta="extends: default\nremove: [L-COVERUP]\n")
    assert load_error(root) == (
        f"{root.resolve() / 'pack.yaml'}:4: remove: no rule 'L-COVERUP' in the extended pack. "
        "Did you mean 'L-COVER-UP'?"
    )


def test_extends_a_folder_without_a_pack(tmp_path: Path) -> None:
    """`extends:` a folder that holds no pack names the folder and the choices."""
    root = write_pack(tmp_path / "p", {}, meta="extends: ../nowhere\n")
    assert load_error(root) == (
        f"{root.resolve() / 'pack.yaml'}:3: extends: no rule pack at '../nowhere' ({tmp_path.resolve() / 'nowhere'}); "
        "give 'default' or the folder of a pack, relative to this one"
    )


# ---------------------------------------------------------------------------------------------------------------
# --rules on every command


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner(env={"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "TTY_INTERACTIVE": None})


def test_evaluate_with_rules(runner: CliRunner, tmp_path: Path) -> None:
    """`evaluate --rules` decides with the custom pack."""
    file = tmp_path / "case.json"
    file.write_text(json.dumps(case(violation("v1", "p1"))), encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(file), "--format", "json", "--rules", str(PROVINCIAL)])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["rulepack"]["name"], data["people"][0]["range"]) == ("provincial", [1, 2])


def test_rules_list_and_show_with_rules(runner: CliRunner) -> None:
    """`rules list --rules` lists the pack's own rule; `rules show --rules` shows its overriding source."""
    listed = runner.invoke(app, ["rules", "list", "--rules", str(PROVINCIAL)])
    assert listed.exit_code == 0
    assert "O-PUBLIC-INTEREST-RURAL" in listed.stdout
    assert "O-PUBLIC-INTEREST " not in listed.stdout
    shown = runner.invoke(app, ["rules", "show", "O-SEVERITY-MINOR", "--rules", str(PROVINCIAL)])
    assert shown.exit_code == 0
    assert "offence.yaml:3" in shown.stdout


def test_bad_pack_on_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    """A broken pack given to any command: `Error:` with file and line on stderr, exit 1, no traceback."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE.replace("act: concealed}", "act: concealment}")})
    expected = (
        f"Error: {root.resolve() / 'x.yaml'}:7: rule 'T-RULE' reads fact 'act.act' value 'concealment', "
        "which is not one of its values. Did you mean 'concealed'?\n"
    )
    for command in (["rules", "list"], ["rules", "verify"], ["rules", "test"]):
        result = runner.invoke(app, [*command, "--rules", str(root)])
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected), command


def test_every_broken_rule_on_the_command_line(runner: CliRunner, tmp_path: Path) -> None:
    """A command given a pack with three broken rules prints one `Error:` line for each and exits 1."""
    root = _three_broken_rules(tmp_path / "p")
    result = runner.invoke(app, ["rules", "list", "--rules", str(root)])
    assert (result.exit_code, result.stdout) == (1, "")
    assert [line.split(": rule ")[1].split("'")[1] for line in result.stderr.splitlines()] == [
        "T-FIRST",
        "T-SECOND",
        "T-THIRD",
    ]
    assert all(line.startswith(f"Error: {root.resolve()}") for line in result.stderr.splitlines())


def test_copied_default_pack_loads_as_its_own(tmp_path: Path) -> None:
    """A full copy of the default pack (no `extends`) is a pack of its own with the same rules."""
    copy = tmp_path / "copy"
    shutil.copytree(default_pack_path(), copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    pack = load_pack(copy)
    assert [r.id for r in pack.rules] == [r.id for r in load_default().rules]


def test_the_policy_step_must_cite_the_catalogue(tmp_path: Path) -> None:
    """A policy whose cap step cites a provision outside the catalogue is refused, with a suggestion."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE})
    policy = (default_pack_path() / "policy.yaml").read_text(encoding="utf-8")
    (root / "policy.yaml").write_text(policy.replace("cites: [acct2016:5, acct2019:6]", "cites: [acct2019:66]"))
    error = load_error(root)
    assert error.startswith(f"{root.resolve() / 'policy.yaml'}:")
    assert error.endswith(
        "cap_step: cites 'acct2019:66', which is not in the citation catalogue. Did you mean 'acct2019:6'?"
    )


def test_the_policy_step_has_an_id_no_rule_has(tmp_path: Path) -> None:
    """A cap step named like a rule of the pack is refused."""
    root = write_pack(tmp_path / "p", {"x.yaml": RULE})
    policy = (default_pack_path() / "policy.yaml").read_text(encoding="utf-8")
    (root / "policy.yaml").write_text(policy.replace("id: D3-CAP", "id: T-RULE"))
    assert load_error(root).endswith("cap_step: id 'T-RULE' is a rule's id; give the step an id of its own")


# ---------------------------------------------------------------------------------------------------------------
# Measure scales (the measures a finding may take within a form)


def scale_policy_error(tmp_path: Path, old: str, new: str) -> tuple[str, int]:
    """The load error of a pack whose policy has ``old`` replaced by ``new``, and the line of the first scale
    entry that the replacement lands in."""
    policy = (default_pack_path() / "policy.yaml").read_text(encoding="utf-8")
    assert old in policy
    changed = policy.replace(old, new, 1)
    root = write_pack(tmp_path / "p", {"policy.yaml": changed})
    lines = changed.splitlines()
    at = lines.index(next(x for x in lines if new.splitlines()[0] in x))
    entry = max(i for i, x in enumerate(lines[: at + 1]) if x.startswith("  - id: ")) + 1
    return load_error(root), entry


def test_a_measure_scale_takes_measures_of_its_own_form(tmp_path: Path) -> None:
    """A scale naming a measure of another form is refused, with the form's measures."""
    error, line = scale_policy_error(
        tmp_path, "measures: [public_criticism, admonishment]", "measures: [public_criticism, warning]"
    )
    assert error == (
        f"{tmp_path.resolve() / 'p' / 'policy.yaml'}:{line}: measure_scales[0]: 'warning' is not a measure of "
        "form 1; its measures are ['reminder', 'criticism', 'self_examination', 'public_criticism', 'admonishment']"
    )


def test_a_measure_scale_lists_its_measures_lightest_first(tmp_path: Path) -> None:
    """A scale whose measures run heaviest first is refused: the order is the form's."""
    error, _ = scale_policy_error(
        tmp_path, "measures: [public_criticism, admonishment]", "measures: [admonishment, public_criticism]"
    )
    assert error.endswith(
        "measure_scales[0]: measures must be unique and lightest first, as form 1 orders them: "
        "['reminder', 'criticism', 'self_examination', 'public_criticism', 'admonishment']"
    )


def test_a_measure_scale_starts_at_one_of_its_measures(tmp_path: Path) -> None:
    """A scale starting at a measure it does not list is refused."""
    error, _ = scale_policy_error(tmp_path, "start: admonishment", "start: reminder")
    assert error.endswith(
        "measure_scales[0]: start 'reminder' is not among the scale's measures ['public_criticism', 'admonishment']"
    )


def test_a_measure_scale_names_finding_kinds_of_the_policy(tmp_path: Path) -> None:
    """A scale for a finding kind the policy does not declare is refused, with the kinds it does."""
    error, line = scale_policy_error(tmp_path, "kinds: [leader, decision, unit]", "kinds: [leader, decisions, unit]")
    assert error == (
        f"{tmp_path.resolve() / 'p' / 'policy.yaml'}:{line}: measure_scales[0]: kind 'decisions' is not one of "
        "the policy's finding_kinds (offence, leader, credit, unit, decision)"
    )


def test_one_scale_for_each_kind_responsibility_and_form(tmp_path: Path) -> None:
    """Two scales of the same condition for the same kind, responsibility and form are refused."""
    error, _ = scale_policy_error(
        tmp_path, "    form: 2\n    above: true\n    start: serious_warning", "    form: 1\n    start: criticism"
    )
    assert error.endswith(
        "measure_scales[1]: leader findings with principal_leadership in form 1 already take their measures from "
        "S-ACCOUNTABILITY-FIRST-FORM; give each kind, responsibility and form one scale"
    )


def test_a_measure_scale_cites_the_catalogue(tmp_path: Path) -> None:
    """A scale citing a provision outside the catalogue is refused, with a suggestion."""
    error, line = scale_policy_error(
        tmp_path,
        "    cites: [acct2016:7, acct2019:8]\n    kinds: [leader,",
        "    cites: [acct2019:88]\n    kinds: [leader,",
    )
    assert error == (
        f"{tmp_path.resolve() / 'p' / 'policy.yaml'}:{line}: measure_scales[0]: cites 'acct2019:88', which is not "
        "in the citation catalogue. Did you mean 'acct2019:8'?"
    )
