"""The bad-input corpus: malformed scenarios, sweeps, model files and command lines.

Every case is made reproducibly (a seeded :class:`random.Random`, no clock, no network)
from the shipped files: ``configs/*.yaml``, ``configs/demos``, ``configs/sweeps``,
``models/cells`` and ``models/tissues``. :func:`build_corpus` writes each case's files
into a folder and returns the cases; :func:`classify` judges what the command line did
with one of them. The same module drives the CI test (``test_bad_input_corpus.py``, in
process) and the before/after measurement (``python -m tests.reliability.measure``,
one subprocess per case against any checkout).

Categories (``Case.category``):

``unknown-key``      an unknown key inserted into every mapping, at every level
``wrong-type``       a leaf replaced by a nested list
``not-finite``       a number replaced by ``.nan``
``wrong-unit``       a quantity's unit replaced by one of another dimension (``kg``)
``unit-only``        a quantity without its number (``kPa``: not 1 kPa)
``bad-choice``       a choice (technique, shape, preset, ...) replaced by an unknown word
``missing-key``      a required section or key removed
``duplicate-key``    a key given twice (last-wins is refused)
``encoding``         non-UTF-8 bytes, UTF-16, NUL bytes
``nesting``          YAML nested far too deep
``alias``            YAML alias bombs (billion laughs), under known and unknown keys
``yaml-type``        YAML dates, sets, binary where plain values are expected
``override``         malformed ``--set`` overrides
``expression``       dangerous or undefined rate expressions in a model file
``model-file``       the model-file mutations above applied to ``models/cells``
``tissue-preset``    the mutations above applied to ``models/tissues``
``size``             scenarios and sweeps whose predicted size is beyond the limits
``path``             names and file references that leave their folders
``cli``              special files and folders given as inputs
"""

from __future__ import annotations

import copy
import random
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SEED = 20261201

#: Keys whose text is free (any string is valid, e.g. a model file's report ``label`` and
#: ``relative_to``): not mutated as choices.
_FREE_TEXT = {"name", "description", "title", "source", "note", "label", "relative_to"}


def _dump(data: Any, **options: Any) -> str:
    """``yaml.safe_dump`` through libyaml (the same YAML, ~8x faster to write the corpus)."""
    return yaml.dump(data, Dumper=getattr(yaml, "CSafeDumper", yaml.SafeDumper), **options)


_QUANTITY = re.compile(r"^\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*([A-Za-z%µ°][^\s]*.*)$")


@dataclass(frozen=True)
class Case:
    """One bad input and what the command line must do with it.

    Attributes
    ----------
    id
        Unique, stable name of the case.
    category
        See the module docstring.
    argv
        Arguments of ``tissue-sim`` (without the program name).
    env
        Environment variables set while it runs (e.g. ``TISSUE_SIM_MODELS``).
    expect
        The exit code it must give (2: bad input; 1: the run failed).
    mentions
        Texts the one-line message must contain (the file, the key path).
    """

    id: str
    category: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    expect: int = 2
    mentions: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------
# Judging an outcome
# --------------------------------------------------------------------------------------
#: Outcome classes, best first.
OUTCOMES = ("ok", "vague", "wrong-exit", "exit-0", "traceback", "hang")

_LOCATED = re.compile(r":\d+|[A-Za-z_]\w*(\.\w+|\[\d+\])+|--set|: [a-z_]+\w*:")


#: Categories whose errors concern a whole file or argument (no key path to name).
_FILE_LEVEL = ("cli", "encoding", "nesting", "alias")


def classify(case: Case, code: int | None, stderr: str) -> tuple[str, str]:
    """Judge what ``tissue-sim`` did with a case: ``(outcome, why)``.

    ``ok`` means: the expected exit code, exactly one non-empty line on stderr, no
    traceback, at most 400 characters, naming every text of ``case.mentions``.
    """
    if code is None:
        return "hang", "did not finish in time"
    if "Traceback" in stderr or "internal error" in stderr:
        return "traceback", _last_line(stderr)
    if code == 0:
        return "exit-0", "accepted bad input"
    if code != case.expect:
        return "wrong-exit", f"exit {code}: {_last_line(stderr)}"
    lines = [line for line in stderr.splitlines() if line.strip()]
    if len(lines) != 1:
        return "vague", f"{len(lines)} lines: {_last_line(stderr)}"
    line = lines[0]
    if len(line) > 400:
        return "vague", f"{len(line)} characters"
    missing = [text for text in case.mentions if text not in line]
    if missing:
        return "vague", f"does not name {missing}: {line[:200]}"
    if case.category not in _FILE_LEVEL and not _LOCATED.search(line.partition("error:")[2]):
        return "vague", f"no key path or line: {line[:200]}"
    return "ok", line


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


# --------------------------------------------------------------------------------------
# Walking and mutating YAML data
# --------------------------------------------------------------------------------------
def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for item in path:
        out += f"[{item}]" if isinstance(item, int) else (f".{item}" if out else str(item))
    return out


def _key_of(path: tuple[Any, ...]) -> str:
    """The dotted path without a sourced value's last ``value`` (for mentions)."""
    if path and path[-1] == "value":
        path = path[:-1]
    while path and isinstance(path[-1], int):
        path = path[:-1]
    return _dotted(path)


def _walk(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _walk(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _walk(value, (*path, index))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    out = copy.deepcopy(data)
    node = out
    for item in path[:-1]:
        node = node[item]
    node[path[-1]] = value
    return out


def _delete(data: Any, path: tuple[Any, ...]) -> Any:
    out = copy.deepcopy(data)
    node = out
    for item in path[:-1]:
        node = node[item]
    del node[path[-1]]
    return out


def _leaf_mutations(path: tuple[Any, ...], value: Any) -> Iterator[tuple[str, Any]]:
    """(category, new value) for a leaf; only mutations that are always bad input."""
    key = next((p for p in reversed(path) if isinstance(p, str) and p != "value"), "")
    if key in _FREE_TEXT:
        return
    yield "wrong-type", [[1, 2]]
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        yield "not-finite", float("nan")
        return
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match:
            yield "wrong-unit", f"{match.group(1)} kg"
            yield "unit-only", match.group(2).strip()
        elif not re.match(r"^\s*[-+.\d]", value):
            yield "bad-choice", "zz_bogus"


# --------------------------------------------------------------------------------------
# The corpus
# --------------------------------------------------------------------------------------
class _Builder:
    def __init__(self, folder: Path, rng: random.Random) -> None:
        self.folder = folder
        self.rng = rng
        self.cases: list[Case] = []
        self.ids: set[str] = set()

    def unique(self, name: str) -> str:
        name = re.sub(r"[^A-Za-z0-9_.\-]+", "_", name)[:90]
        base, count = name, 1
        while name in self.ids:
            count += 1
            name = f"{base}~{count}"
        self.ids.add(name)
        return name

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.folder / f"{name}.yaml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    def add(
        self,
        case_id: str,
        category: str,
        argv: tuple[str, ...],
        *,
        mentions: tuple[str, ...] = (),
        env: tuple[tuple[str, str], ...] = (),
        expect: int = 2,
    ) -> None:
        self.cases.append(Case(case_id, category, argv, env, expect, mentions))

    def scenario(
        self,
        name: str,
        category: str,
        content: str | bytes | dict[str, Any],
        *,
        key: str = "",
        command: str = "check",
        extra: tuple[str, ...] = (),
        env: tuple[tuple[str, str], ...] = (),
        mentions: tuple[str, ...] = (),
    ) -> None:
        case_id = self.unique(name)
        text = _dump(content, sort_keys=False) if isinstance(content, dict) else content
        path = self.write(case_id, text)
        found = (path.name, *((key,) if key else ()), *mentions)
        self.add(case_id, category, (command, str(path), *extra), mentions=found, env=env)


def _shipped_scenarios() -> list[Path]:
    return sorted((ROOT / "configs").glob("*.yaml")) + sorted(
        (ROOT / "configs/demos").glob("*.yaml")
    )


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _is_hyperelastic(data: dict[str, Any]) -> bool:
    return (data.get("mechanics") or {}).get("model") == "hyperelastic"


def _mutations_of(
    data: dict[str, Any], *, skip: tuple[str, ...] = ()
) -> list[tuple[str, str, Any, str]]:
    """(category, label, mutated data, key mention) for every node of ``data``."""
    out: list[tuple[str, str, Any, str]] = []
    hyper = _is_hyperelastic(data)
    for path, value in _walk(data):
        dotted = _dotted(path)
        if any(dotted.startswith(prefix) for prefix in skip):
            continue
        if "hyperelastic" in path and not hyper:
            continue  # linear mechanics never reads these blocks
        if isinstance(value, dict):
            unknown = dict(value)
            unknown["zz_unknown"] = 1
            label = f"{dotted or 'root'}.zz_unknown"
            mention = f"{_dotted(path)}.zz_unknown" if path else "zz_unknown"
            if _key_of(path).endswith(("parameters", "layers")):
                mention = "zz_unknown"
            out.append(
                ("unknown-key", label, _set(data, path, unknown) if path else unknown, mention)
            )
        elif isinstance(value, list):
            continue
        else:
            for category, new in _leaf_mutations(path, value):
                out.append((category, f"{dotted}={category}", _set(data, path, new), _key_of(path)))
    return out


def _scenario_cases(b: _Builder) -> None:
    for source in _shipped_scenarios():
        data = _load(source)
        mutations = _mutations_of(data)
        chosen = b.rng.sample(mutations, min(len(mutations), 26))
        for category, label, mutated, mention in chosen:
            b.scenario(f"{source.stem}-{label}", category, mutated, key=_tail(mention))
        b.scenario(
            f"{source.stem}-no-tissue", "missing-key", _delete(data, ("tissue",)), key="tissue"
        )
        # a duplicate top-level key (last-wins is refused)
        text = source.read_text(encoding="utf-8")
        key = b.rng.choice([k for k in data if k not in ("description",)])
        duplicated = (
            text.rstrip() + f"\n{key}: {_dump(data[key], default_flow_style=True).strip()}\n"
        )
        b.scenario(f"{source.stem}-duplicate-{key}", "duplicate-key", duplicated, key=key)


def _tail(mention: str) -> str:
    """The last two parts of a key path: enough to identify it, robust to its prefix."""
    parts = mention.split(".")
    return ".".join(parts[-2:]) if len(parts) > 1 else mention


def _named_scenario_cases(b: _Builder) -> None:
    base = _load(ROOT / "configs/static_compression.yaml")
    text = (ROOT / "configs/static_compression.yaml").read_text(encoding="utf-8")

    def with_(**changes: Any) -> dict[str, Any]:
        out = copy.deepcopy(base)
        for dotted, value in changes.items():
            node = out
            parts = dotted.split("__")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = value
        return out

    # duplicate keys, nested (last-wins is refused: 5 kPa then 500 kPa must not run at 500)
    b.scenario(
        "dup-pressure-5-then-500",
        "duplicate-key",
        text.replace('  pressure: "20 kPa"\n', '  pressure: "5 kPa"\n  pressure: "500 kPa"\n'),
        key="pressure",
    )
    b.scenario(
        "dup-nested-mesh-size",
        "duplicate-key",
        text.rstrip() + "\nmesh:\n  size: coarse\n  size: fine\n",
        key="size",
    )
    # units and values
    b.scenario(
        "pressure-unit-only", "unit-only", with_(loading__pressure="kPa"), key="loading.pressure"
    )
    b.scenario(
        "pressure-python-unit",
        "wrong-unit",
        with_(loading__pressure="5 __import__('os')"),
        key="loading.pressure",
    )
    b.scenario(
        "pressure-import-unit",
        "wrong-unit",
        with_(loading__pressure="__import__('os')"),
        key="loading.pressure",
    )
    b.scenario(
        "pressure-huge-text",
        "wrong-unit",
        with_(loading__pressure="5 " + "k" * 100000 + "Pa"),
        key="loading.pressure",
    )
    b.scenario(
        "pressure-1e400", "not-finite", with_(loading__pressure="1e400 kPa"), key="loading.pressure"
    )
    b.scenario(
        "pressure-negative", "range", with_(loading__pressure="-5 kPa"), key="loading.pressure"
    )
    b.scenario(
        "poisson-0.5",
        "range",
        with_(tissue__layers={"skin": {"poisson_ratio": 0.5}}),
        key="poisson_ratio",
    )
    b.scenario(
        "thickness-zero",
        "range",
        with_(tissue__layers={"fascia": {"thickness": "0 mm"}}),
        key="thickness",
    )
    b.scenario(
        "weekdays-empty",
        "range",
        with_(schedule={"treatment_days": {"weekdays": [], "weeks": 2}}),
        key="weekdays",
    )
    b.scenario(
        "treatment-days-negative",
        "range",
        with_(schedule={"treatment_days": [-1, 2]}),
        key="treatment_days",
    )
    b.scenario("start-time-25h", "range", with_(schedule__start_time="25:00"), key="start_time")
    b.scenario(
        "name-lone-surrogate",
        "path",
        text.replace("name: static_compression", 'name: "bad\\ud800name"'),
        key="name",
    )
    b.scenario("name-dotdot", "path", with_(name="../../escape"), key="name")
    b.scenario("name-absolute", "path", with_(name="/tmp/escape_absolute"), key="name")
    b.scenario("name-dot", "path", with_(name="."), key="name")
    b.scenario("name-empty", "path", with_(name=""), key="name")
    b.scenario("name-not-a-string", "wrong-type", with_(name=12), key="name")
    custom = {"skin": {"thickness": "2 mm", "youngs_modulus": "20 kPa", "poisson_ratio": 0.45}}
    b.scenario(
        "layer-named-dot",
        "path",
        with_(tissue={"layers": {".": custom["skin"]}}),
        key="tissue.layers",
    )
    b.scenario(
        "layer-named-slash",
        "path",
        with_(tissue={"layers": {"a/b": custom["skin"]}}),
        key="tissue.layers",
    )
    b.scenario(
        "layer-named-int",
        "path",
        "tissue:\n  layers:\n"
        "    1: {thickness: 2 mm, youngs_modulus: 20 kPa, poisson_ratio: 0.45}\n",
        key="tissue.layers",
    )
    b.scenario(
        "models-etc-passwd", "path", with_(biology__models=["/etc/passwd"]), key="biology.models"
    )
    b.scenario(
        "models-dotdot",
        "path",
        with_(biology__models=["../../../etc/passwd"]),
        key="biology.models",
    )
    b.scenario(
        "models-directory",
        "path",
        with_(biology__models=[str(ROOT / "models")]),
        key="biology.models",
    )
    b.scenario("models-empty", "missing-key", with_(biology__models=[]), key="biology.models")
    b.scenario(
        "preset-dotdot",
        "path",
        with_(tissue={"preset": "../cells/tgfb1_fibrosis"}),
        key="tissue.preset",
    )
    b.scenario(
        "parameter-nan",
        "not-finite",
        with_(biology__parameters={"tgfb1_fibrosis": {"g_drain": float("nan")}}),
        key="g_drain",
    )
    b.scenario(
        "parameter-unknown",
        "unknown-key",
        with_(biology__parameters={"tgfb1_fibrosis": {"zz_unknown": 1.0}}),
        key="zz_unknown",
    )
    b.scenario(
        "parameter-unknown-model",
        "unknown-key",
        with_(biology__parameters={"zz_model": {"k": 1.0}}),
        key="zz_model",
    )
    b.scenario(
        "initial-state-unknown",
        "bad-choice",
        with_(biology__initial_state="zz_bogus"),
        key="biology.initial_state",
    )
    b.scenario(
        "output-time-after-course",
        "range",
        with_(biology__output_times=["400 d"]),
        key="biology.output_times",
    )
    # YAML types inside raw blocks
    hyper = with_(mechanics={"model": "hyperelastic"})
    b.scenario(
        "hyperelastic-date",
        "yaml-type",
        _dump(hyper, sort_keys=False) + "tissue:\n  preset: lumbar\n  layers:\n"
        "    skin:\n      hyperelastic: {c10: 2024-01-01}\n",
        key="hyperelastic",
    )
    b.scenario(
        "hyperelastic-set",
        "yaml-type",
        _dump(hyper, sort_keys=False).replace("tissue:\n", "tissue_:\n")
        + "tissue:\n  preset: lumbar\n  layers:\n    skin:\n      hyperelastic: !!set {a, b}\n",
        key="hyperelastic",
    )
    b.scenario(
        "description-binary",
        "yaml-type",
        text.replace("description:", "description: !!binary aGVsbG8=\nold_description:", 1),
        key="description",
    )
    b.scenario(
        "pressure-timestamp",
        "yaml-type",
        text.replace('pressure: "20 kPa"', "pressure: 2001-12-14t21:59:43.10-05:00"),
        key="loading.pressure",
    )
    # sizes
    sizes: dict[str, tuple[dict[str, Any], str]] = {
        "frames-1e18": (with_(loading__frames=1e18), "frames"),
        "frames-1e7": (with_(loading__frames=10_000_000), "frames"),
        "sessions-per-day-1e18": (with_(schedule__sessions_per_day=1e18), "sessions_per_day"),
        "weeks-1e9": (
            with_(schedule={"treatment_days": {"weekdays": [0, 2], "weeks": 1e9}}),
            "weeks",
        ),
        "days-1e7": (with_(schedule__days=10_000_000), "days"),
        "days-1e18": (with_(schedule__days=1e18), "days"),
        "treatment-day-1e9": (
            with_(schedule={"treatment_days": [0, 1_000_000_000]}),
            "treatment_days",
        ),
        "summary-interval-1ms": (with_(biology__summary_interval="1 ms"), "summary_interval"),
        "session-resolution-1us": (with_(biology__session_resolution="1 us"), "session_resolution"),
        "output-times-many": (
            with_(biology__output_times=[f"{i} min" for i in range(15000)]),
            "output_times",
        ),
        "mesh-size-0.05mm": (with_(mesh__size="0.05 mm"), "mesh"),
        "mesh-size-1nm": (with_(mesh__size="1 nm"), "mesh"),
        "mesh-min-layer-elements-1e6": (with_(mesh__min_layer_elements=1_000_000), "mesh"),
        "mesh-q2-fine-block-1m": (
            with_(mesh__element="Q2", mesh__size="fine", tissue__size=["1 m", "1 m"]),
            "mesh",
        ),
        "tissue-size-1km": (with_(tissue__size=["1 km", "1 km"]), "tissue.size"),
        "path-points-1e5": (
            with_(
                loading={
                    "technique": "effleurage",
                    "path": [["-1 cm", "0 cm"], ["1 cm", "0 cm"]] * 50_000,
                }
            ),
            "",
        ),
    }
    for name, (data, key) in sizes.items():
        b.scenario(f"size-{name}", "size", data, key=key)
    # limits given by the user are checked too
    b.scenario(
        "limits-unknown-key",
        "unknown-key",
        with_(limits={"zz_unknown": 1}),
        key="limits.zz_unknown",
    )
    b.scenario(
        "limits-memory-no-unit", "wrong-unit", with_(limits={"memory": 5}), key="limits.memory"
    )
    b.scenario("limits-tiny-memory", "size", with_(limits={"memory": "1 MB"}), key="limits")
    # encodings
    raw = text.encode("utf-8")
    b.scenario(
        "latin1",
        "encoding",
        raw.replace(b"description:", "description: caf\u00e9 ".encode("latin-1") + b"\n_old:", 1),
    )
    b.scenario("utf16", "encoding", text.encode("utf-16"))
    b.scenario("nul-byte", "encoding", raw.replace(b"\n", b"\n\x00", 1))
    b.scenario(
        "nul-in-value",
        "encoding",
        _dump(with_(name="a\x00b"), sort_keys=False),
        key="name",
    )
    b.scenario("control-char", "encoding", raw.replace(b"\n", b"\n\x07", 1))
    # nesting and aliases
    deep_list = "zz: " + "[" * 1500 + "]" * 1500 + "\n"
    b.scenario("nesting-list-1500", "nesting", text + deep_list)
    deep_map = (
        "zz:\n" + "".join("  " * (i + 1) + f"a{i}:\n" for i in range(400)) + "  " * 401 + "x: 1\n"
    )
    b.scenario("nesting-map-400", "nesting", text + deep_map)
    b.scenario(
        "nesting-flow-map-5000", "nesting", text + "zz: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n"
    )
    bomb = "".join(
        f"{chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
        for i in range(1, 10)
    )
    bomb = "zz_a: &a [" + ",".join(['"lol"'] * 9) + "]\n" + bomb
    b.scenario("alias-bomb-unknown-key", "alias", text + bomb)
    b.scenario(
        "alias-bomb-known-key",
        "alias",
        bomb + text.replace("description: Thumb", "description: *j\nold_description: Thumb"),
    )
    b.scenario(
        "alias-bomb-in-value", "alias", bomb + text.replace('pressure: "20 kPa"', "pressure: *j")
    )
    b.scenario("alias-recursive", "alias", text + "zz: &r [*r]\n")
    b.scenario("anchor-merge-unknown", "alias", text + "zz: &m {a: 1}\nmesh_:\n  <<: *m\n")
    # not a mapping, empty documents, several documents
    b.scenario("top-level-list", "wrong-type", "- 1\n- 2\n")
    b.scenario("top-level-string", "wrong-type", "just a string\n")
    b.scenario("two-documents", "wrong-type", text + "---\nname: second\n")
    b.scenario("tab-indent", "wrong-type", text.replace("  ", "\t", 1))
    b.scenario("huge-key", "unknown-key", text + "z" * 100000 + ": 1\n")
    b.scenario(
        "huge-string-value",
        "wrong-type",
        _dump(with_(mesh__element="Q" * 200000), sort_keys=False),
        key="mesh.element",
    )


def _override_cases(b: _Builder) -> None:
    config = str(ROOT / "configs/static_compression.yaml")
    overrides = {
        "double-equals": "loading.pressure==5 kPa",
        "no-equals": "loading.pressure",
        "empty-key": "=5 kPa",
        "empty-part": "loading..pressure=5 kPa",
        "bad-index": "loading.techniques[x].frames=3",
        "index-out-of-range": "loading.techniques[5].frames=3",
        "huge-index": "loading.techniques[99999999999999999999].frames=3",
        "into-scalar": "loading.pressure.value.deep=3",
        "unknown-section": "zz_unknown.key=1",
        "unknown-key": "loading.zz_unknown=1",
        "unclosed-list": "loading.pressure=[5 kPa",
        "yaml-anchor": "loading.pressure=&a [*a]",
        "unit-only": "loading.pressure=kPa",
        "wrong-unit": "loading.pressure=5 mm",
        "bare-number": "loading.pressure=5",
        "mapping": "loading.pressure={a: 1}",
        "unicode-key": "loading.pr\u00e9ssure=5 kPa",
        "space-in-key": "loading. pressure=5 kPa",
        "frames-huge": "loading.frames=1e18",
        "days-huge": "schedule.days=1e9",
        "name-dotdot": "name=../../x",
        "models-passwd": "biology.models=[/etc/passwd]",
        "set-limits-zero": "limits.cells=0",
        "mesh-size-tiny": "mesh.size=0.05 mm",
        "long-value": "loading.pressure=" + "9" * 5000 + " kPa",
        "long-key": "loading." + "k" * 5000 + "=1",
        "nul": "loading.pressure=5\x00 kPa",
    }
    for name, text in overrides.items():
        case_id = b.unique(f"set-{name}")
        b.add(case_id, "override", ("check", config, "--set", text), mentions=("--set",))


# --------------------------------------------------------------------------------------
# Model files and tissue presets
# --------------------------------------------------------------------------------------
def _model_folder(b: _Builder, case_id: str) -> Path:
    folder = b.folder / case_id
    shutil.copytree(ROOT / "models", folder / "models")
    return folder


def _model_scenario(folder: Path, model_paths: list[str], *, hyperelastic: bool = False) -> Path:
    data = _load(ROOT / "configs/static_compression.yaml")
    data.setdefault("biology", {})["models"] = model_paths
    if hyperelastic:
        data["mechanics"] = {"model": "hyperelastic"}
    path = folder / "scenario.yaml"
    path.write_text(_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _model_case(
    b: _Builder, name: str, category: str, model: str, text: str | bytes, *, mention: str = ""
) -> None:
    case_id = b.unique(name)
    folder = _model_folder(b, case_id)
    target = folder / "models" / "cells" / f"{model}.yaml"
    if isinstance(text, bytes):
        target.write_bytes(text)
    else:
        target.write_text(text, encoding="utf-8")
    names = sorted(p.stem for p in (ROOT / "models/cells").glob("*.yaml"))
    paths = [str(folder / "models" / "cells" / f"{n}.yaml") for n in names]
    scenario = _model_scenario(folder, paths)
    mentions = (f"{model}.yaml", *((mention,) if mention else ()))
    b.add(case_id, category, ("check", str(scenario)), mentions=mentions)


#: Rate expressions that must be refused before any symbolic work (or run as NaN: exit 1).
BAD_EXPRESSIONS = {
    "tower-10-10-10": "10**10**10",
    "pow-2-10000000": "2**10000000 * collagen",
    "pow-float-huge": "collagen**1e300",
    "nested-exp-150": "exp(" * 150 + "collagen" + ")" * 150,
    "nested-parens-3000": "(" * 3000 + "collagen" + ")" * 3000,
    "sqrt-minus-1": "sqrt(-1) * collagen",
    "exp-1000": "exp(1000) * collagen",
    "log-zero": "log(0) * collagen",
    "division-by-zero": "collagen / (1 - 1)",
    "long-sum": " + ".join(["collagen"] * 3000),
    "attribute": "collagen.__class__",
    "import": "__import__('os').system('true')",
    "lambda": "(lambda: 1)()",
    "string": "'collagen'",
    "keyword-call": "exp(x=1)",
    "unknown-function": "eval('1')",
    "comparison": "collagen > 1",
    "unknown-name": "zz_unknown_name * collagen",
    "empty": "",
    "bool": "true",
    "huge-integer-literal": "1" + "0" * 3000 + " * collagen",
    "hill-huge-n": "hill(collagen, 1, 1e6)",
    "factorial-like-product": "*".join(["(collagen + 1)"] * 600),
}


def _model_cases(b: _Builder) -> None:
    for model_path in sorted((ROOT / "models/cells").glob("*.yaml")):
        text = model_path.read_text(encoding="utf-8")
        data = _load(model_path)
        mutations = _mutations_of(data, skip=("expressions.", "rates."))
        mutations = [m for m in mutations if not m[1].startswith("expressions.zz_unknown")]
        chosen = b.rng.sample(mutations, min(len(mutations), 20))
        for _category, label, mutated, _ in chosen:
            _model_case(
                b,
                f"model-{model_path.stem}-{label}",
                "model-file",
                model_path.stem,
                _dump(mutated, sort_keys=False, allow_unicode=True),
            )
        species = next(iter(data["species"]))
        for name, expression in BAD_EXPRESSIONS.items():
            mutated = copy.deepcopy(data)
            replacement = expression.replace("collagen", species)
            mutated["rates"][species] = replacement if name != "bool" else True
            _model_case(
                b,
                f"expr-{model_path.stem}-{name}",
                "expression",
                model_path.stem,
                _dump(mutated, sort_keys=False, allow_unicode=True, width=10**9),
            )
        # 40 chained helper expressions, each squaring the last
        mutated = copy.deepcopy(data)
        helpers = {"zz_h0": f"{species} + 1"}
        for i in range(1, 40):
            helpers[f"zz_h{i}"] = f"zz_h{i - 1} * zz_h{i - 1}"
        mutated["expressions"] = {**(mutated.get("expressions") or {}), **helpers}
        mutated["rates"][species] = f"{mutated['rates'][species]} + 0 * zz_h39"
        _model_case(
            b,
            f"expr-{model_path.stem}-chained-squares-40",
            "expression",
            model_path.stem,
            _dump(mutated, sort_keys=False, allow_unicode=True, width=10**9),
        )
        # duplicate key, alias bomb under an unknown key, encodings, nesting
        _model_case(
            b,
            f"model-{model_path.stem}-duplicate-title",
            "duplicate-key",
            model_path.stem,
            text.rstrip() + "\ntitle: again\n",
            mention="title",
        )
        bomb = (
            "zz_unknown:\n  a: &a ["
            + ",".join(['"lol"'] * 9)
            + "]\n"
            + "".join(
                f"  {chr(97 + i)}: &{chr(97 + i)} [" + ",".join([f"*{chr(96 + i)}"] * 9) + "]\n"
                for i in range(1, 10)
            )
        )
        _model_case(
            b,
            f"model-{model_path.stem}-alias-bomb-unknown-key",
            "alias",
            model_path.stem,
            text + bomb,
        )
        _model_case(
            b,
            f"model-{model_path.stem}-latin1",
            "encoding",
            model_path.stem,
            text.encode("utf-8").replace(b"title:", b"title: caf\xe9\n_old_title:", 1),
        )
        _model_case(
            b,
            f"model-{model_path.stem}-nesting",
            "nesting",
            model_path.stem,
            text + "zz: " + "[" * 2000 + "]" * 2000 + "\n",
        )
        _model_case(
            b,
            f"model-{model_path.stem}-unit-python",
            "model-file",
            model_path.stem,
            text.replace('unit: "1"', "unit: \"__import__('os')\"", 1),
        )


def _preset_cases(b: _Builder) -> None:
    for preset_path in sorted((ROOT / "models/tissues").glob("*.yaml")):
        data = _load(preset_path)
        for hyperelastic in (False, True):
            mutations = [
                m
                for m in _mutations_of(
                    {**data, "mechanics": {"model": "hyperelastic"}} if hyperelastic else data
                )
                if not m[1].startswith(("mechanics", "references"))
            ]
            if hyperelastic:
                mutations = [m for m in mutations if "hyperelastic" in m[1]]
            chosen = b.rng.sample(mutations, min(len(mutations), 8))
            for _category, label, mutated, _ in chosen:
                mutated.pop("mechanics", None)
                case_id = b.unique(f"preset-{preset_path.stem}-{label}")
                folder = _model_folder(b, case_id)
                target = folder / "models" / "tissues" / preset_path.name
                target.write_text(
                    _dump(mutated, sort_keys=False, allow_unicode=True), encoding="utf-8"
                )
                scenario = _load(ROOT / "configs/static_compression.yaml")
                scenario["tissue"] = {"preset": preset_path.stem}
                if hyperelastic:
                    scenario["mechanics"] = {"model": "hyperelastic"}
                path = folder / "scenario.yaml"
                path.write_text(_dump(scenario, sort_keys=False), encoding="utf-8")
                b.add(
                    case_id,
                    "tissue-preset",
                    ("check", str(path)),
                    env=(("TISSUE_SIM_MODELS", str(folder / "models")),),
                    mentions=(preset_path.name,),
                )


# --------------------------------------------------------------------------------------
# Sweeps
# --------------------------------------------------------------------------------------
def _sweep_cases(b: _Builder) -> None:
    for sweep_path in sorted((ROOT / "configs/sweeps").glob("*.yaml")):
        data = _load(sweep_path)
        data["base"] = str((sweep_path.parent / data["base"]).resolve())
        mutations = [m for m in _mutations_of(data) if not m[1].startswith("base")]
        chosen = b.rng.sample(mutations, min(len(mutations), 22))
        for category, label, mutated, mention in chosen:
            _sweep_case(b, f"sweep-{sweep_path.stem}-{label}", category, mutated, _tail(mention))
        text = sweep_path.read_text(encoding="utf-8").replace(
            "base: ../baseline.yaml", f"base: {data['base']}"
        )
        _sweep_case(
            b,
            f"sweep-{sweep_path.stem}-duplicate-design",
            "duplicate-key",
            text.rstrip() + "\ndesign: grid\n",
            "design",
        )
        for key in ("base", "parameters", "outputs"):
            _sweep_case(
                b, f"sweep-{sweep_path.stem}-no-{key}", "missing-key", _delete(data, (key,)), key
            )
    grid = _load(ROOT / "configs/sweeps/pressure_adipose_grid.yaml")
    grid["base"] = str(ROOT / "configs/baseline.yaml")
    sobol = _load(ROOT / "configs/sweeps/mechanobiology_sobol.yaml")
    sobol["base"] = str(ROOT / "configs/baseline.yaml")
    named = {
        "steps-1e8": (
            _set(
                grid,
                ("parameters", "loading.pressure"),
                {"range": ["1 kPa", "20 kPa"], "steps": 1e8},
            ),
            "steps",
        ),
        "grid-1e4x1e4": (
            _set(
                _set(
                    grid,
                    ("parameters", "loading.pressure"),
                    {"range": ["1 kPa", "20 kPa"], "steps": 10000},
                ),
                ("parameters", "tissue.layers.adipose.thickness"),
                {"range": ["5 mm", "25 mm"], "steps": 10000},
            ),
            "parameters",
        ),
        "values-15k": (
            _set(
                grid,
                ("parameters", "loading.pressure"),
                {"values": [f"{i} Pa" for i in range(1, 15_001)]},
            ),
            "parameters",
        ),
        "sobol-2-40": (_set(sobol, ("design", "samples"), 2**40), "samples"),
        "sobol-2-20": (_set(sobol, ("design", "samples"), 2**20), "samples"),
        "sobol-not-power": (_set(sobol, ("design", "samples"), 100), "samples"),
        "resamples-1e12": (_set(sobol, ("design", "resamples"), 1e12), "resamples"),
        "lhs-1e9": (
            _set(_set(sobol, ("design", "type"), "latin_hypercube"), ("design", "samples"), 10**9),
            "samples",
        ),
        "seed-negative": (_set(sobol, ("design", "seed"), -1), "seed"),
        "seed-huge": (_set(sobol, ("design", "seed"), 2**80), "seed"),
        "confidence-1": (_set(sobol, ("design", "confidence"), 1.0), "confidence"),
        "base-etc-passwd": (_set(grid, ("base",), "/etc/passwd"), "base"),
        "base-dev-zero": (_set(grid, ("base",), "/dev/zero"), "base"),
        "base-directory": (_set(grid, ("base",), str(ROOT / "configs")), "base"),
        "base-missing": (_set(grid, ("base",), "no_such_file.yaml"), "base"),
        "base-model-file": (
            _set(grid, ("base",), str(ROOT / "models/cells/tgfb1_fibrosis.yaml")),
            "base",
        ),
        "base-self": (_set(grid, ("base",), "SELF"), "base"),
        "set-unknown-key": (_set(grid, ("set",), {"zz_unknown.key": 1}), "set"),
        "set-nested": (_set(grid, ("set",), {"mesh": {"size": "coarse"}}), "set"),
        "axis-also-set": (_set(grid, ("set",), {"loading.pressure": "5 kPa"}), "loading.pressure"),
        "axis-bad-key": (
            _set(grid, ("parameters",), {"loading..pressure": {"values": ["1 kPa"]}}),
            "parameters",
        ),
        "axis-mixed-units": (
            _set(grid, ("parameters", "loading.pressure"), {"values": ["1 kPa", 5]}),
            "loading.pressure",
        ),
        "axis-wrong-unit": (
            _set(grid, ("parameters", "loading.pressure"), {"values": ["1 kPa", "5 mm"]}),
            "loading.pressure",
        ),
        "axis-range-reversed": (
            _set(
                grid, ("parameters", "loading.pressure"), {"range": ["20 kPa", "1 kPa"], "steps": 3}
            ),
            "loading.pressure",
        ),
        "axis-name-dotdot": (
            _set(grid, ("parameters",), {"name": {"values": ["../../x", "y"]}}),
            "name",
        ),
        "output-unknown-layer": (
            _set(grid, ("outputs",), {"x": "biology.layers.zz.tgfb1_active.final.mean"}),
            "outputs.x",
        ),
        "output-name-slash": (
            _set(grid, ("outputs",), {"a/b": "biology.layers.fascia.tgfb1_active.final.mean"}),
            "outputs",
        ),
        "output-huge": (_set(grid, ("outputs",), {"x": "biology." + "a." * 5000}), "outputs.x"),
    }
    for name, (data, key) in named.items():
        _sweep_case(
            b,
            f"sweep-{name}",
            "size" if "e" in name.split("-")[-1] or "2-" in name else "sweep",
            data,
            key,
        )


def _sweep_case(
    b: _Builder, name: str, category: str, data: dict[str, Any] | str, key: str
) -> None:
    case_id = b.unique(name)
    path = b.folder / f"{case_id}.yaml"
    if isinstance(data, dict) and data.get("base") == "SELF":
        data = {**data, "base": str(path)}
    text = data if isinstance(data, str) else _dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")
    out = b.folder / f"{case_id}.out"
    b.add(
        case_id,
        category,
        ("sweep", str(path), "-o", str(out), "-q", "--workers", "1"),
        mentions=(path.name, key),
    )


# --------------------------------------------------------------------------------------
# Special files and folders
# --------------------------------------------------------------------------------------
def _cli_cases(b: _Builder) -> None:
    b.add(b.unique("check-dev-zero"), "cli", ("check", "/dev/zero"), mentions=("/dev/zero",))
    b.add(b.unique("check-dev-null"), "cli", ("check", "/dev/null"), mentions=("/dev/null",))
    b.add(
        b.unique("check-directory"), "cli", ("check", str(ROOT / "configs")), mentions=("configs",)
    )
    b.add(
        b.unique("check-missing"),
        "cli",
        ("check", str(b.folder / "missing.yaml")),
        mentions=("missing.yaml",),
    )
    big = b.folder / "huge_file.yaml"
    big.write_text("name: big\n" + "# padding\n" * 2_000_000, encoding="utf-8")
    b.add(b.unique("check-huge-file"), "cli", ("check", str(big)), mentions=("huge_file.yaml",))
    fifo_target = b.folder / "binary.yaml"
    fifo_target.write_bytes(bytes(range(256)) * 64)
    b.add(b.unique("check-binary"), "cli", ("check", str(fifo_target)), mentions=("binary.yaml",))
    b.add(b.unique("sweep-dev-zero"), "cli", ("sweep", "/dev/zero", "-q"), mentions=("/dev/zero",))
    # --summarise on folders that are not (complete) sweeps
    empty = b.folder / "summarise_empty"
    empty.mkdir()
    b.add(
        b.unique("summarise-empty"),
        "cli",
        ("sweep", "--summarise", str(empty), "-q"),
        mentions=("summarise_empty",),
    )
    for name, content in {
        "truncated": '{"format": 1, "name": "x", "poi',
        "no-points": '{"format": 1, "name": "x"}',
        "points-not-list": '{"format": 1, "name": "x", "design": {"type": "grid"}, '
        '"axes": [], "outputs": [], "points": 5}',
        "bad-hash": '{"format": 1, "name": "x", "design": {"type": "grid"}, '
        '"axes": [], "outputs": [], '
        '"points": [{"index": 0, "values": [], "display": [], "block": "grid", "sample": -1, '
        '"axis": -1, "hash": "../../../etc", "overrides": []}]}',
        "list": "[1, 2, 3]",
    }.items():
        folder = b.folder / f"summarise_{name}"
        folder.mkdir()
        (folder / "design.json").write_text(content, encoding="utf-8")
        b.add(
            b.unique(f"summarise-{name}"),
            "cli",
            ("sweep", "--summarise", str(folder), "-q"),
            mentions=("design.json",),
        )
    b.add(
        b.unique("models-show-unknown"),
        "cli",
        ("models", "show", "../../etc/passwd"),
        mentions=("passwd",),
    )
    b.add(
        b.unique("view-not-hdf5"),
        "cli",
        ("view", str(ROOT / "configs/baseline.yaml"), "-o", str(b.folder / "x.png")),
        mentions=("baseline.yaml",),
    )
    b.add(
        b.unique("report-missing"),
        "cli",
        ("report", str(b.folder / "nothing.h5")),
        mentions=("nothing.h5",),
    )


def build_corpus(folder: Path, *, seed: int = SEED) -> list[Case]:
    """Write every case's files into ``folder`` and return the cases (same seed, same corpus).

    Parameters
    ----------
    folder
        An empty folder for the generated files.
    seed
        Seed of the sampling of mutations.
    """
    folder.mkdir(parents=True, exist_ok=True)
    b = _Builder(folder, random.Random(seed))
    _scenario_cases(b)
    _named_scenario_cases(b)
    _override_cases(b)
    _model_cases(b)
    _preset_cases(b)
    _sweep_cases(b)
    _cli_cases(b)
    return b.cases
