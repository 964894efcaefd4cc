"""Adversarial inputs: bad files of every kind and bad options of every command (hypothesis).

Every case is bad by construction (a value of the wrong type, a control character, NaN, an
unknown or missing key, a duplicate key, broken YAML, a file that is not what it claims) and
must end the command with exit status 2 and one line on stderr that names the file (or the
option), the field, the value and what is allowed: never a traceback, never a model run, and
never a file written anywhere (a bad input stops before ``--out`` is made).

The number of cases run is printed at the end of the test session (``fuzz:``); CI runs over
1,000. ``CATFISH_FUZZ_SCALE=10`` runs ten times as many.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from catfish.calibration.data import FACTS_FILE, DataError, load_facts
from catfish.calibration.posterior import DEFAULT_POSTERIOR
from catfish.calibration.priors import PRIORS_FILE, PriorsError, load_priors
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catfish import scenarios
from tests.conftest import DocPath, invoke, nodes, shipped_yaml, yaml_text

SHIPPED = Path(scenarios.__file__).parent
SCALE = int(os.environ.get("CATFISH_FUZZ_SCALE", "1"))
CASES: dict[str, int] = {}  # kind -> cases run (reported by conftest)
RULE_WORDS = ("must", "should", "allowed", "expected", "not a", "unknown", "missing", "twice",
              "cannot", "only", "invalid", "not valid", "is not", "no such", "needs", "holds",
              "between", "outside", "range", "one of", "may not", "choose", "give", "pass",
              "exclude", "goes with")


def fuzz_settings(examples: int) -> settings:
    return settings(max_examples=examples * SCALE, deadline=None, derandomize=True,
                    database=None, suppress_health_check=list(HealthCheck))


# --- walking and changing documents (nodes: tests/conftest.py) -------------------------------

def replaced(doc: Any, path: DocPath, value: Any) -> Any:
    changed = copy.deepcopy(doc)
    target = changed
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return changed


def last_key(path: DocPath) -> str | None:
    names = [p for p in path if isinstance(p, str)]
    return names[-1] if names else None


def bad_values(value: Any) -> list[Any]:
    """Values that the place of ``value`` can never take (its type is wrong or it is unusable)."""
    if isinstance(value, bool):
        return ["maybe", [1, 2], {"a": 1}, 2.5]
    if isinstance(value, int | float):
        return ["abc", [1, 2], {"a": 1}, math.nan, math.inf, -math.inf, True, False]
    if isinstance(value, str):
        return ["a\x00b", "x\u202ey", "bell\x07", [1], {"k": "v"}]
    if isinstance(value, dict):
        return [[1, 2], "text", 5]
    if isinstance(value, list):
        return ["text", 5, {"a": 1}]
    return []


def value_forms(value: Any) -> list[str]:
    """How a message may show a scalar value."""
    if isinstance(value, float) and not math.isfinite(value):
        return ["nan", "inf", ".nan", ".inf", "NaN"]
    if isinstance(value, bool):
        return [str(value), str(value).lower()]
    if isinstance(value, str):
        return [repr(value)[:40], str(value), repr(value).strip("'")[:30]]
    if isinstance(value, int | float):
        return [str(value), repr(value)]
    return []  # a list or mapping: the message names the field and the type wanted


@st.composite
def bad_document(draw: Callable, doc: dict, required: list[DocPath]) -> tuple[str | bytes,
                                                                               list[str],
                                                                               list[str]]:
    """A bad version of ``doc``: (file content, texts the message must hold, value forms)."""
    how = draw(st.sampled_from(["value", "value", "value", "unknown key", "missing key",
                                "duplicate key", "broken yaml", "not a mapping", "not utf-8"]))
    if how == "value":
        places = [(p, v) for p, v in nodes(doc) if p and bad_values(v)]
        path, old = draw(st.sampled_from(places))
        new = draw(st.sampled_from(bad_values(old)))
        key = last_key(path)
        return _dump(replaced(doc, path, new)), [key] if key else [], value_forms(new)
    if how == "unknown key":
        mappings = [p for p, v in nodes(doc) if isinstance(v, dict)]
        path = draw(st.sampled_from(mappings))
        target = doc
        for part in path:
            target = target[part]
        return _dump(replaced(doc, (*path, "zz_unknown"), 1) if path else
                     {**doc, "zz_unknown": 1}), ["zz_unknown"], []
    if how == "missing key":
        path = draw(st.sampled_from(required))
        changed = copy.deepcopy(doc)
        target = changed
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
        return _dump(changed), [path[-1]], []
    if how == "duplicate key":
        key = draw(st.sampled_from(list(doc)))
        text = _dump(doc)
        return text + f"{key}: again\n", [key, "twice"], []
    if how == "broken yaml":
        return _dump(doc) + draw(st.sampled_from(["- [unclosed\n", "x: {a: 1\n", "\t- tab\n",
                                                   "k: v: w\n"])), [], []
    if how == "not a mapping":
        return draw(st.sampled_from(["- 1\n- 2\n", "just text\n", "42\n", "", "null\n"])), [], []
    return b"name: \xff\xfe\xfa\n", [], []


def _dump(doc: Any) -> str:
    return yaml_text(doc, sort_keys=False)  # keys in the shipped files' order


# --- running a case ---------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def no_model_runs(monkeypatch):
    """A bad input must stop before any model is built."""
    def refuse(*args, **kwargs):
        raise AssertionError("a model was built for a bad input")

    monkeypatch.setattr("catfish.sim.run.ClusterModel", refuse)


@contextlib.contextmanager
def in_new_folder() -> Iterator[str]:
    """A new empty folder, the current one while the context lasts."""
    here = os.getcwd()
    with tempfile.TemporaryDirectory(prefix="catfish-fuzz-") as folder:
        os.chdir(folder)
        try:
            yield folder
        finally:
            os.chdir(here)


def snapshot(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def check_refused(args: list[str], files: dict[str, str | bytes], expected: list[str],
                  forms: list[str], kind: str, named: str | None = "case") -> None:
    """Run the command line on ``files`` in a fresh folder; it must refuse in one line."""
    CASES[kind] = CASES.get(kind, 0) + 1
    with in_new_folder() as folder:
        for name, content in files.items():
            path = Path(folder) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        before = snapshot(Path(folder))
        done = invoke(*args)
        after = snapshot(Path(folder))
    where = f"{args} with {files.get('case.yaml', '')!r:.300}"
    assert done.exception is None or isinstance(done.exception, SystemExit), \
        f"{where}: raised {done.exception!r}"
    assert done.exit_code == 2, f"{where}: exit status 2 expected, got {done.exit_code}: " \
                                f"{done.stdout!r} {done.stderr!r}"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("catfish: error: "), \
        f"{where}: one error line expected, got {done.stderr!r}"
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, where
    message = lines[0]
    if named:
        assert named in message, f"{where}: the message must name the file: {message}"
    for text in expected:
        assert str(text) in message, f"{where}: expected {text!r} in {message}"
    if forms:
        assert any(form in message for form in forms), \
            f"{where}: the message must show the value ({forms}): {message}"
    assert any(word in message.lower() for word in RULE_WORDS), \
        f"{where}: the message must say what is allowed: {message}"
    assert after == before, f"{where}: files were written or changed: " \
                            f"{sorted(set(after) ^ set(before))}"


# --- file kinds -------------------------------------------------------------------------------

SCENARIO = shipped_yaml("jieyang-city-2023")
SCENARIO_REQUIRED = [("name",), ("labels",), ("calendar",), ("target",), ("budget",),
                     ("cluster",), ("labels", "en"), ("calendar", "start"),
                     ("cluster", "smes"), ("cluster", "smes", "count"),
                     ("cluster", "smes", "sectors"), ("policies", 0, "instrument")]


@fuzz_settings(250)
@given(case=bad_document(SCENARIO, SCENARIO_REQUIRED))
def test_bad_scenario_files(case):
    content, expected, forms = case
    check_refused(["run", "./case.yaml", "--out", "out"], {"case.yaml": content}, expected,
                  forms, "scenario")


COMPARISON = {**shipped_yaml("compare-jieyang-2023"), "base": "base.yaml"}
COMPARISON_REQUIRED = [("name",), ("labels",), ("base",), ("mixes",), ("mixes", 0, "name"),
                       ("mixes", 0, "labels")]
BASE_TEXT = (SHIPPED / "jieyang-city-2023.yaml").read_text(encoding="utf-8")


@fuzz_settings(150)
@given(case=bad_document(COMPARISON, COMPARISON_REQUIRED))
def test_bad_comparison_files(case):
    content, expected, forms = case
    check_refused(["compare", "./case.yaml", "--out", "out"],
                  {"case.yaml": content, "base.yaml": BASE_TEXT}, expected, forms, "comparison")


@fuzz_settings(100)
@given(case=bad_document(SCENARIO, SCENARIO_REQUIRED))
def test_bad_base_scenario_of_a_comparison(case):
    content, expected, forms = case
    good = _dump(COMPARISON)
    check_refused(["compare", "./case.yaml", "--out", "out"],
                  {"case.yaml": good, "base.yaml": content}, expected, forms, "comparison base",
                  named="base.yaml")


SWEEP = shipped_yaml("sweep-jieyang-2023")
SWEEP_REQUIRED = [("name",), ("base",), ("factors",), ("factors", 0, "name")]


@fuzz_settings(150)
@given(case=bad_document(SWEEP, SWEEP_REQUIRED))
def test_bad_sweep_files(case):
    content, expected, forms = case
    check_refused(["sweep", "./case.yaml", "--out", "out", "--yes"], {"case.yaml": content},
                  expected, forms, "sweep")


SENSITIVITY = shipped_yaml("sa-jieyang-2023")
SENSITIVITY_REQUIRED = [("name",), ("labels",), ("factors",), ("factors", 0, "name")]


@fuzz_settings(150)
@given(case=bad_document(SENSITIVITY, SENSITIVITY_REQUIRED))
def test_bad_sensitivity_files(case):
    content, expected, forms = case
    check_refused(["sensitivity", "./case.yaml", "--out", "out", "--yes"],
                  {"case.yaml": content}, expected, forms, "sensitivity")


POSTERIOR = pd.read_parquet(DEFAULT_POSTERIOR)


@st.composite
def bad_posterior(draw: Callable) -> tuple[bytes, list[str], list[str]]:
    """A posterior file that must be refused, and what the message must hold."""
    how = draw(st.sampled_from(["model column", "unknown column", "text", "nan", "inf",
                                "bool", "negative weight", "empty", "not parquet",
                                "truncated"]))
    table = POSTERIOR.copy()
    column = draw(st.sampled_from([c for c in table.columns if c != "weight"]))
    expected: list[str] = [column]
    if how == "model column":
        table["n_smes"], expected = 60.0, ["n_smes"]
    elif how == "unknown column":
        table["zz_unknown"], expected = 1.0, ["zz_unknown"]
    elif how == "text":
        table[column] = "abc"
    elif how in ("nan", "inf"):
        table.loc[draw(st.integers(0, len(table) - 1)), column] = math.nan if how == "nan" \
            else math.inf
    elif how == "bool":
        table[column] = True
    elif how == "negative weight":
        table["weight"], expected = -1.0, ["weight"]
    elif how == "empty":
        table, expected = table.iloc[:0], []
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    content = buffer.getvalue()
    if how == "not parquet":
        content, expected = b"name,value\n1,2\n", []
    elif how == "truncated":
        content, expected = content[: len(content) // 2], []
    return content, expected, []


@fuzz_settings(100)
@given(case=bad_posterior())
def test_bad_posterior_files(case):
    content, expected, forms = case
    check_refused(["compare", "./cmp.yaml", "--posterior", "./case.parquet", "--out", "out"],
                  {"cmp.yaml": _dump(COMPARISON), "base.yaml": BASE_TEXT,
                   "case.parquet": content}, expected, forms, "posterior", named="case.parquet")


def check_loader_refuses(load: Callable[[Path], Any], error: type[Exception],
                         content: str | bytes, expected: list[str], forms: list[str],
                         kind: str) -> None:
    """A list file read through its loader: one line naming the file, never another error."""
    CASES[kind] = CASES.get(kind, 0) + 1
    with in_new_folder() as folder:
        path = Path(folder) / f"case-{CASES[kind]}.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        with pytest.raises(error) as raised:
            load(path)
    message = str(raised.value)
    assert "\n" not in message and path.name in message, f"one line naming the file: {message}"
    for text in expected:
        assert str(text) in message, f"expected {text!r} in {message}"
    if forms:
        assert any(form in message for form in forms), f"the value ({forms}): {message}"


PRIORS = yaml.safe_load(PRIORS_FILE.read_text(encoding="utf-8"))
FACTS = yaml.safe_load(FACTS_FILE.read_text(encoding="utf-8"))


@st.composite
def bad_list(draw: Callable, doc: list, required: list[str]) -> tuple[str | bytes, list, list]:
    """A bad version of a list file (priors, pilot data): an entry changed or broken."""
    how = draw(st.sampled_from(["value", "value", "unknown key", "missing key",
                                "duplicate entry key", "not a list", "not utf-8"]))
    i = draw(st.integers(0, len(doc) - 1))
    if how == "value":
        places = [(p, v) for p, v in nodes(doc[i]) if p and bad_values(v)]
        path, old = draw(st.sampled_from(places))
        new = draw(st.sampled_from(bad_values(old)))
        return _dump(replaced(doc, (i, *path), new)), [last_key(path)], value_forms(new)
    if how == "unknown key":
        return _dump(replaced(doc, (i, "zz_unknown"), 1)), ["zz_unknown"], []
    if how == "missing key":
        key = draw(st.sampled_from(required))
        changed = copy.deepcopy(doc)
        del changed[i][key]
        return _dump(changed), [key], []
    if how == "duplicate entry key":
        key = draw(st.sampled_from(required))
        return _dump([doc[i]]) + f"  {key}: again\n", [key, "twice"], []
    if how == "not a list":
        return draw(st.sampled_from(["a: 1\n", "text\n", ""])), [], []
    return b"- \xff\xfe\n", [], []


@fuzz_settings(100)
@given(case=bad_list(PRIORS, ["parameter", "low", "high", "source"]))
def test_bad_prior_files(case):
    check_loader_refuses(load_priors, PriorsError, *case, "prior")


@fuzz_settings(100)
@given(case=bad_list(FACTS, ["name", "unit", "date", "place", "role", "source"]))
def test_bad_pilot_data_files(case):
    check_loader_refuses(load_facts, DataError, *case, "pilot data")


# --- options of every command --------------------------------------------------------------

OPTION_CASES: list[tuple[list[str], str]] = [
    *[(["run", "--seed", v], "--seed") for v in ("-1", "x", "1.5", "9" * 30)],
    *[(["run", "--months", v], "--months") for v in ("0", "601", "x", "nan")],
    *[(["run", "--lang", v], "--lang") for v in ("fr", "", "ZH")],
    (["run", "./missing.yaml"], "missing.yaml"), (["run", "./a-folder"], "a-folder"),
    (["run", "no such name"], "no such name"), (["run", "../x\x00.yaml"], "x"),
    *[(["compare", "compare-jieyang-2023", "--replicates", v], "--replicates")
      for v in ("0", "1", "x", "100001", "-3")],
    *[(["compare", "compare-jieyang-2023", "--workers", v], "--workers")
      for v in ("0", "x", "513")],
    *[(["compare", "compare-jieyang-2023", "--seed", v], "--seed") for v in ("-1", "z")],
    (["compare", "compare-jieyang-2023", "--seed", str(2**62 - 1)], "--seed"),
    *[(["compare", "compare-jieyang-2023", "--posterior", v], v.lstrip("./"))
      for v in ("./missing.parquet", "./a-folder", "./a-file.txt")],
    (["compare", "nowhere"], "nowhere"), (["compare"], "FILE_OR_NAME"),
    *[(["sweep", "sweep-jieyang-2023", *extra], key) for extra, key in (
        (["--workers", "0"], "--workers"), (["--dask-local", "0"], "--dask-local"),
        (["--dask-local", "2", "--scheduler", "tcp://127.0.0.1:1"], "--scheduler"),
        (["--resume", "a-folder"], "resume"), (["--retry-failed"], "--retry-failed"))],
    (["sweep", "--resume", "a-folder"], "a-folder"), (["sweep"], "sweep file"),
    (["sweep", "--resume", "nowhere"], "nowhere"),
    *[(["sensitivity", "sa-jieyang-2023", *extra], key) for extra, key in (
        (["--method", "x"], "--method"), (["--n", "1"], "--n"), (["--n", "x"], "--n"),
        (["--replicates", "0"], "--replicates"), (["--workers", "0"], "--workers"))],
    (["sensitivity", "--resume", "a-folder", "--method", "sobol"], "--method"),
    (["calibrate", "--workers", "0"], "--workers"),
    (["calibrate", "--screen", "--ship", "x"], "--ship"),
    (["calibrate", "--resume", "--screen"], "--resume"),
    (["calibrate", "--ship", "dest", "--out", "a-folder"], "a-folder"),
    *[(["firm", f"--{name}", v], f"--{name}") for name in ("revenue-rmb", "cash-rmb",
                                                          "light-cost-rmb", "deep-cost-rmb")
      for v in ("nan", "inf", "-1", "x", "1e308", "-inf")],
    *[(["firm", f"--{name}", v], f"--{name}") for name in ("talent", "credit-access",
                                                          "infrastructure")
      for v in ("2", "-0.1", "nan", "x")],
    *[(["firm", "--month", v], "--month") for v in ("2099-13", "x", "1999-01", "2023-00")],
    *[(["firm", "--sector", v], "--sector") for v in ("nowhere", "a\x00b")],
    *[(["firm", "--scenario", v], v.lstrip("./")) for v in ("atlantis", "./a-folder")],
    (["firm", "--lang", "fr"], "--lang"),
    (["report", "nowhere"], "nowhere"), (["report", "a-folder"], "a-folder"),
    (["report", "a-file.txt"], "a-file.txt"), (["report", "a-folder", "--lang", "fr"], "--lang"),
    *[(["app", "--port", v], "--port") for v in ("0", "70000", "x")],
    (["app", "atlantis"], "atlantis"),
    (["scenarios", "validate", "./missing.yaml"], "missing.yaml"),
    (["scenarios", "show", "atlantis"], "atlantis"),
    (["scenarios", "nothing"], "nothing"), (["nothing"], "nothing"),
]


@pytest.mark.parametrize(("args", "named"), OPTION_CASES,
                         ids=[" ".join(a)[:60] for a, _ in OPTION_CASES])
def test_bad_options_of_every_command(args, named):
    check_refused(args, {"a-folder/.keep": "", "a-file.txt": "text"}, [], [], "options",
                  named=named)
