"""Property tests (hypothesis, derandomized: the same examples on every run): the input
parsers turn *any* text into a value or an InputError, never another exception; what they
accept they read right (the guarded YAML reader agrees with PyYAML, a quantity converts
to SI by the unit's factor); error messages stay short whatever they echo."""

from __future__ import annotations

import math
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tissue_sim.config.overrides import parse_override
from tissue_sim.config.units import parse_quantity
from tissue_sim.config.yaml_io import parse_yaml_text
from tissue_sim.errors import InputError, brief

SETTINGS = settings(
    derandomize=True,
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

_UNITS = st.sampled_from(["mm", "kPa", "min", "Hz", "deg", "1/h", "cm**2", "**", "^", "(", ")"])
_QUANTITY_TEXT = st.lists(
    st.one_of(st.integers(-(10**6), 10**6).map(str), _UNITS, st.text(max_size=5)), max_size=6
).map(" ".join)

_YAML_PIECES = st.sampled_from(
    [
        "a:",
        " b",
        "- ",
        "[",
        "]",
        "{",
        "}",
        "&x ",
        "*x",
        "!!set",
        "!!binary",
        "2024-01-01",
        "\n",
        "  ",
        ": ",
        "'",
        '"',
        "? ",
        "<<: *x",
        "---",
        "\t",
        "1e400",
        "~",
    ]
)
_YAML_TEXT = st.lists(_YAML_PIECES, max_size=40).map("".join)


@SETTINGS
@given(_QUANTITY_TEXT, st.sampled_from(["length", "pressure", "time", "frequency", "area"]))
def test_quantities_parse_or_fail_cleanly(text: str, dimension: str) -> None:
    try:
        value = parse_quantity(text, dimension, file="f.yaml", key="k")
    except InputError as error:
        assert len(str(error)) < 400
    else:
        assert isinstance(value, float)


#: (unit, dimension, factor to SI) of units the scenarios use.
_FACTORS = [
    ("mm", "length", 1e-3),
    ("cm", "length", 1e-2),
    ("um", "length", 1e-6),
    ("kPa", "pressure", 1e3),
    ("MPa", "pressure", 1e6),
    ("min", "time", 60.0),
    ("h", "time", 3600.0),
    ("d", "time", 86400.0),
    ("Hz", "frequency", 1.0),
    ("1/h", "frequency", 1.0 / 3600.0),
    ("cm**2", "area", 1e-4),
]


@SETTINGS
@given(
    st.floats(-1e6, 1e6, allow_nan=False).map(lambda x: float(f"{x:.6g}")),
    st.sampled_from(_FACTORS),
    st.sampled_from(["", " ", "  "]),
)
def test_a_quantity_is_its_number_times_the_unit_factor(
    number: float, unit: tuple[str, str, float], space: str
) -> None:
    symbol, dimension, factor = unit
    if symbol[0].isdigit():
        space = space or " "  # "0.01/h" would be another number
    value = parse_quantity(f"{number!r}{space}{symbol}", dimension, file="f.yaml", key="k")
    assert math.isclose(value, number * factor, rel_tol=1e-12, abs_tol=1e-300)


@SETTINGS
@given(_YAML_TEXT)
def test_yaml_text_parses_or_fails_cleanly(text: str) -> None:
    try:
        value = parse_yaml_text(text, file="f.yaml")
    except InputError as error:
        assert error.file == "f.yaml" and len(str(error)) < 400
    else:  # what the guards let through reads as PyYAML reads it
        assert value == yaml.safe_load(text)


@SETTINGS
@given(st.text(max_size=60))
def test_overrides_parse_or_fail_cleanly(text: str) -> None:
    try:
        path, _ = parse_override(text)
    except InputError as error:
        assert error.file == "--set"
    else:
        assert path


_VALUES: Any = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text()),
    lambda children: st.one_of(st.lists(children), st.dictionaries(st.text(), children)),
    max_leaves=200,
)


@SETTINGS
@given(_VALUES)
def test_brief_is_always_short(value: Any) -> None:
    assert len(brief(value)) <= 200
