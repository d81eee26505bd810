"""Bad input: one clear error naming the file, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from tissue_sim import load_config
from tissue_sim.errors import InputError

BASE = """\
tissue:
  preset: lumbar
loading:
  technique: static_compression
  pressure: "20 kPa"
  patch: {radius: "1 cm", centre: ["0 cm", "0 cm"]}
schedule:
  session_duration: "5 min"
  days: 2
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        (["mesh.sise=coarse"], "mesh.sise", "unknown key"),
        (["loading.pressure=2 mm"], "loading.pressure", "expected a pressure"),
        (["tissue.layers.fascia.thickness=0 mm"], "tissue.layers.fascia.thickness", "positive"),
        (["tissue.layers.skin.poisson_ratio=0.5"], "tissue.layers.skin.poisson_ratio", "< 0.5"),
        (["loading.patch.radius=20 cm"], "loading.patch", "larger than the block"),
        (["tissue.preset=elbow"], "tissue.preset", "no tissue preset 'elbow'"),
        (["tissue.layers.adipos.thickness=1 cm"], "tissue.layers.adipos", "no layer 'adipos'"),
        (["mesh.size=tiny"], "mesh.size", "coarse, medium, fine"),
        (["mechanics.sides=clamped"], "mechanics.sides", "roller, free"),
    ],
)
def test_bad_values_name_file_key_and_expectation(
    tmp_path: Path, overrides: list[str], key: str, expected: str
) -> None:
    path = _write(tmp_path, BASE)
    with pytest.raises(InputError) as info:
        load_config(path, overrides)
    message = str(info.value)
    assert str(path) in message
    assert key in message
    assert expected in message
    assert "\n" not in message


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + "mesh:\n  size: [coarse\n")
    with pytest.raises(InputError, match=r"scenario.yaml:\d+: malformed YAML"):
        load_config(path)


def test_unknown_top_level_key_in_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE + "meshh: {size: coarse}\n")
    with pytest.raises(InputError, match="meshh: unknown key"):
        load_config(path)


def test_bare_number_for_a_length_is_ambiguous(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE.replace('radius: "1 cm"', "radius: 0.01"))
    with pytest.raises(InputError, match=r"loading\.patch\.radius: .*add a unit"):
        load_config(path)


def test_overrides_and_units_resolve_to_si(tmp_path: Path) -> None:
    path = _write(tmp_path, BASE)
    scenario = load_config(
        path,
        ["loading.pressure=25 kPa", "tissue.layers.adipose.thickness=2 cm", "mesh.size=4 mm"],
    )
    assert scenario.loading.steps[0].technique.pressure == pytest.approx(25e3)
    assert scenario.tissue.layers[1].thickness == pytest.approx(0.02)
    assert scenario.mesh.size == pytest.approx(4e-3)
    assert scenario.mesh.size_name is None
    # preset values keep their sources; overrides change the hash
    assert "layers.fascia.youngs_modulus" in scenario.tissue.sources
    assert scenario.config_hash() != load_config(path).config_hash()
    assert load_config(path).config_hash() == load_config(path).config_hash()


@pytest.mark.parametrize("preset", ["lumbar", "thigh_lateral", "forearm"])
def test_every_preset_number_has_a_source(preset: str) -> None:
    from tissue_sim.config import scenario_from_mapping

    scenario = scenario_from_mapping({"tissue": {"preset": preset}})
    layers = scenario.tissue.layer_names
    import yaml

    from tissue_sim.resources import tissue_presets_directory

    text = (tissue_presets_directory() / f"{preset}.yaml").read_text(encoding="utf-8")
    assert layers == tuple(yaml.safe_load(text)["layers"])  # top first, as in the file
    assert layers[0] == "skin" and layers[-1] == "muscle"
    for layer in layers:
        for key in ("thickness", "youngs_modulus", "poisson_ratio"):
            source = scenario.tissue.sources[f"layers.{layer}.{key}"]
            assert len(source) > 10


@pytest.mark.parametrize(
    ("overrides", "key", "expected"),
    [
        (["biology.initial_state=chronic"], "biology.initial_state", "no initial-state preset"),
        (
            ["biology.parameters.tgfb1_fibrosis.K_therapeutic=3 kPa"],
            "biology.parameters.tgfb1_fibrosis.K_therapeutic",
            "expected a value in 1",
        ),
        (
            ["biology.parameters.tgfb1_fibrosis.K_x=1"],
            "biology.parameters.tgfb1_fibrosis.K_x",
            "unknown cell-model parameter",
        ),
        (["biology.models=[tgfb1]"], "biology.models", "tgfb1"),
    ],
)
def test_biology_mistakes_are_reported_before_running(
    tmp_path: Path, overrides: list[str], key: str, expected: str
) -> None:
    from tissue_sim.pipeline import prepare

    path = _write(tmp_path, BASE)
    with pytest.raises(InputError) as info:
        prepare(load_config(path, overrides))
    message = str(info.value)
    assert str(path) in message and key in message and expected in message
