"""What a hostile rule pack can do to the loader: each refused with a `RulePackError` naming the file."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from accountrules import RulePackError
from accountrules.rulepack.pack import MAX_EXTENDS, load_pack
from accountrules.rulepack.yamlfile import MAX_DEPTH, MAX_NODES

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "packs" / "tiny"


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A copy of the tiny pack to spoil."""
    copy = tmp_path / "pack"
    shutil.copytree(TINY, copy)
    return copy


def test_an_alias_bomb_is_refused_before_it_is_expanded(pack: Path) -> None:
    """Nine levels of nine aliases each (a few hundred bytes standing for 387 million values) are refused at
    the line where the count passes the limit."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 9):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    (pack / "pack.yaml").write_text('name: tiny\nversion: "1"\n' + "\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert str(caught.value) == (
        f"{pack / 'pack.yaml'}:8: stands for more than {MAX_NODES:,} values once its aliases (*name) are expanded; "
        "repeat less through aliases"
    )


def test_aliases_within_the_limit_load(pack: Path) -> None:
    """An anchor used a few times, as the default pack's catalogue does, is fine."""
    text = (pack / "citations.yaml").read_text(encoding="utf-8")
    assert "&" not in text
    (pack / "pack.yaml").write_text('name: tiny\nversion: &v "1"\ndescription: *v\n', encoding="utf-8")
    assert load_pack(pack).description == "1"


def test_nesting_deeper_than_the_limit_is_refused(pack: Path) -> None:
    """A value nested 65 lists deep is refused at its line, not with a RecursionError."""
    depth = MAX_DEPTH + 1
    (pack / "pack.yaml").write_text(
        'name: tiny\nversion: "1"\nx: ' + "[" * depth + "]" * depth + "\n", encoding="utf-8"
    )
    with pytest.raises(RulePackError, match=rf"pack.yaml:3: nested more than {MAX_DEPTH} levels deep"):
        load_pack(pack)


def test_a_long_chain_of_extends_is_refused(tmp_path: Path) -> None:
    """1,200 packs each extending the next end in a clear error, not a RecursionError."""
    for i in range(1200):
        folder = tmp_path / f"p{i}"
        folder.mkdir()
        extends = f"extends: ../p{i + 1}\n" if i < 1199 else "extends: default\n"
        (folder / "pack.yaml").write_text(f'name: p{i}\nversion: "1"\n{extends}', encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(tmp_path / "p0")
    assert str(caught.value) == (
        f"{tmp_path / 'p0' / 'pack.yaml'}: extends: a chain of more than {MAX_EXTENDS} packs, each extending the "
        "next; extend a pack nearer the default one"
    )


def test_a_rule_file_that_is_a_fifo_is_refused_without_blocking(pack: Path) -> None:
    """A FIFO named like a rule file is refused (opening it would wait for a writer forever)."""
    os.mkfifo(pack / "more.yaml")
    result: list[BaseException] = []

    def load() -> None:
        try:
            load_pack(pack)
        except BaseException as exc:
            result.append(exc)

    loader = threading.Thread(target=load, daemon=True)
    loader.start()
    loader.join(60)
    assert not loader.is_alive()
    assert (
        str(result[0])
        == f"{pack / 'more.yaml'}: is not a regular file (a pipe, a device or a socket); give a YAML file"
    )


def test_a_folder_named_like_a_rule_file_is_named_a_folder(pack: Path) -> None:
    """A folder `more.yaml` in a pack is refused as a folder, not as a pipe or a device."""
    (pack / "more.yaml").mkdir()
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert (
        str(caught.value) == f"{pack / 'more.yaml'}: is a folder, not a YAML file; name the files in it (folder/*.yaml)"
    )


def test_rules_test_of_a_folder_says_to_name_its_files(tmp_path: Path) -> None:
    """`accountrules rules test DIR`: exit 1 and the message naming the folder, no traceback."""
    from typer.testing import CliRunner

    from accountrules.cli import app

    result = CliRunner().invoke(app, ["rules", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path}: is a folder, not a YAML file; name the files in it (folder/*.yaml)\n"


def test_a_rule_file_linked_to_dev_zero_is_refused(pack: Path) -> None:
    """A rule file that is a link to /dev/zero is refused at once, never read."""
    (pack / "zero.yaml").symlink_to("/dev/zero")
    with pytest.raises(RulePackError, match=r"zero\.yaml: is a link to /dev/zero, outside the pack.s folder"):
        load_pack(pack)


def test_a_rule_file_linked_from_outside_the_pack_is_refused(pack: Path, tmp_path: Path) -> None:
    """A link to a YAML file elsewhere is refused: a pack is what its folder holds."""
    outside = tmp_path / "elsewhere.yaml"
    shutil.copy(pack / "rules.yaml", outside)
    (pack / "rules.yaml").unlink()
    (pack / "rules.yaml").symlink_to(outside)
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert str(caught.value) == (
        f"{pack / 'rules.yaml'}: is a link to {outside}, outside the pack's folder; copy the file into the pack instead"
    )


def test_a_link_within_the_pack_loads(pack: Path) -> None:
    """A link to another file of the same folder is the pack's own file."""
    (pack / "rules.yaml").rename(pack / "kept.txt")
    (pack / "rules.yaml").symlink_to(pack / "kept.txt")
    assert load_pack(pack).name == "tiny"


def test_a_repeated_key_in_a_pack_file_names_its_line(pack: Path) -> None:
    """A key written twice in one mapping of a pack file is refused at the second, as in a YAML case."""
    (pack / "pack.yaml").write_text('name: tiny\nversion: "1"\nname: again\n', encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert str(caught.value) == f"{pack / 'pack.yaml'}:3: key 'name' appears twice in one mapping"


def test_a_control_character_in_a_rule_file_is_one_error_on_its_line(pack: Path) -> None:
    """A character YAML does not allow (here NUL) in a rule file: one error with file and line, saying what to
    remove."""
    rules = pack / "x.yaml"
    rules.write_text("rules:\n  - id: \x00x\n", encoding="utf-8")
    with pytest.raises(RulePackError) as info:
        load_pack(pack)
    assert str(info.value) == (
        f"{rules.resolve()}:2: not valid YAML: the character #x0000 is not allowed in YAML (control characters are "
        "not allowed); remove it"
    )


@pytest.fixture
def default_copy(tmp_path: Path) -> Path:
    """A copy of the default pack to spoil."""
    copy = tmp_path / "default"
    shutil.copytree(ROOT / "rules", copy, ignore=shutil.ignore_patterns("tests"))
    return copy


def test_an_unquoted_day_that_is_not_in_the_calendar_names_its_line(default_copy: Path) -> None:
    """`from: 2018-02-30` unquoted in versions.yaml is the error a quoted one gets, on its line, not a crash."""
    pack = default_copy
    versions = (pack / "versions.yaml").read_text(encoding="utf-8")
    assert 'from: "2018-10-01"' in versions
    (pack / "versions.yaml").write_text(versions.replace('from: "2018-10-01"', "from: 2018-02-30"), encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert str(caught.value) == f"{pack / 'versions.yaml'}:7: versions[1].from: day is out of range for month"


def test_an_unquoted_day_loads_as_a_quoted_one(default_copy: Path) -> None:
    """`from: 2018-10-01` unquoted is the same day as the quoted one."""
    pack = default_copy
    versions = (pack / "versions.yaml").read_text(encoding="utf-8")
    (pack / "versions.yaml").write_text(versions.replace('"2018-10-01"', "2018-10-01"), encoding="utf-8")
    assert load_pack(pack).versions == load_pack(ROOT / "rules").versions


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2024.10", "expected text, got the number 2024.1; write it in quotes"),
        ("no", "expected text, got false (YAML reads yes, no, on and off as true or false); write it in quotes"),
        ("", "expected text, got nothing; write the value"),
        ("[1]", "expected text, got a list"),
    ],
)
def test_a_version_that_is_not_text_says_to_quote_it(pack: Path, written: str, message: str) -> None:
    """`version: 2024.10` (YAML reads the number 2024.1) is refused with the fix: write it in quotes."""
    (pack / "pack.yaml").write_text(f"name: tiny\nversion: {written}\n", encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert str(caught.value) == f"{pack / 'pack.yaml'}:2: version: {message}"


@pytest.mark.parametrize("tag", ["!!binary aGVsbG8=", "!!python/object/apply:os.getcwd []"])
def test_a_tag_of_no_json_value_is_refused_in_a_pack(pack: Path, tag: str) -> None:
    """A pack file may not write `!!binary` or a Python tag: refused on its line before anything is built."""
    (pack / "pack.yaml").write_text(f"name: tiny\nversion: {tag}\n", encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        load_pack(pack)
    assert str(caught.value) == (
        f"{pack / 'pack.yaml'}:2: {tag.split()[0]} is not read in a rule pack; "
        "write the value as plain text, a number, a list or a mapping"
    )
