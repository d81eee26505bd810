"""Read a hyperelastic material block of a tissue preset.

Blocks (every modulus with a unit; any value may be a sourced value
``{value: "8 kPa", source: "..."}``)::

    {law: neo_hookean, shear_modulus: "8 kPa", bulk_modulus: "667 kPa"}
    {law: neo_hookean, c10: "4 kPa", poisson_ratio: 0.494}
    {law: ogden, mu: "15.6 kPa", alpha: 21.4, bulk_modulus: "1.3 MPa"}
    {law: ogden, mu: ["10 kPa", "2 kPa"], alpha: [20, -4], poisson_ratio: 0.49}
    {law: hgo, shear_modulus: "14.4 MPa", bulk_modulus: "80 MPa", k1: "63.5 MPa", k2: 10,
     fibre_angle: "±39 deg", dispersion: 0.0, fibre_energy: exponential_quadratic}
    {law: compression_stiffening, shear_modulus: "748.5 Pa", stiffening_exponent: 1.18,
     poisson_ratio: 0.499}

Keys common to every law: exactly one of ``bulk_modulus`` (pressure) or
``poisson_ratio`` (the small-strain ν, then κ = 2μ(1+ν)/(3(1−2ν))); optional
``volumetric`` (``simo_miehe`` (default), ``quadratic``, ``logarithmic``); optional
``source`` and ``note`` strings. neo_hookean, hgo and compression_stiffening take exactly
one of ``shear_modulus`` or ``c10`` (μ = 2 C10); compression_stiffening also takes
``stiffening_exponent`` (b of G ∝ C^-b). ``fibre_angle`` is one angle, ``"±θ"``
(two families at +θ and −θ) or a list of two angles, measured in the layer plane
from the x axis.
"""

from __future__ import annotations

from tissue_sim.config.reader import MappingReader
from tissue_sim.config.units import parse_quantity
from tissue_sim.mechanics.hyperelastic.compression_stiffening import CompressionStiffening
from tissue_sim.mechanics.hyperelastic.materials import (
    FIBRE_ENERGIES,
    FibreReinforced,
    HyperelasticMaterial,
    NeoHookean,
    Ogden,
)
from tissue_sim.mechanics.hyperelastic.volumetric import VOLUMETRIC_LAWS

__all__ = ["HYPERELASTIC_LAWS", "read_hyperelastic_material"]

#: Law names accepted in a preset block.
HYPERELASTIC_LAWS = ("neo_hookean", "ogden", "hgo", "compression_stiffening")

_PLUS_MINUS = ("±", "+-", "+/-")


def _shear_modulus(reader: MappingReader) -> float:
    has_mu, has_c10 = reader.has("shear_modulus"), reader.has("c10")
    if has_mu == has_c10:
        raise reader.error(None, "give exactly one of shear_modulus or c10 (μ = 2·C10)")
    if has_mu:
        return reader.quantity("shear_modulus", "pressure", positive=True)
    return 2.0 * reader.quantity("c10", "pressure", positive=True)


def _bulk_modulus(reader: MappingReader, shear_modulus: float) -> float:
    has_kappa, has_nu = reader.has("bulk_modulus"), reader.has("poisson_ratio")
    if has_kappa == has_nu:
        raise reader.error(None, "give exactly one of bulk_modulus or poisson_ratio")
    if has_kappa:
        return reader.quantity("bulk_modulus", "pressure", positive=True)
    nu = reader.number("poisson_ratio", minimum=0.0, maximum=0.5, maximum_exclusive=True)
    return 2.0 * shear_modulus * (1.0 + nu) / (3.0 * (1.0 - 2.0 * nu))


def _terms(reader: MappingReader, key: str, dimension: str) -> tuple[float, ...]:
    """One value or a list of values (one per Ogden term)."""
    raw = reader.raw(key)
    where = reader.key_path(key)
    if not isinstance(raw, list | tuple):
        return (parse_quantity(raw, dimension, file=reader.file, key=where),)
    if not raw:
        raise reader.error(key, "expected a value or a non-empty list of values")
    return tuple(
        parse_quantity(item, dimension, file=reader.file, key=f"{where}[{index}]")
        for index, item in enumerate(raw)
    )


def _fibre_angles(reader: MappingReader) -> tuple[float, ...]:
    key = "fibre_angle"
    raw = reader.raw(key)
    where = reader.key_path(key)
    if isinstance(raw, str):
        text = raw.strip()
        for prefix in _PLUS_MINUS:
            if text.startswith(prefix):
                angle = parse_quantity(text[len(prefix) :], "angle", file=reader.file, key=where)
                if angle == 0.0:
                    raise reader.error(key, "'±0' gives one fibre family; write '0 deg'")
                return (angle, -angle)
        return (parse_quantity(text, "angle", file=reader.file, key=where),)
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return (parse_quantity(raw, "angle", file=reader.file, key=where),)
    if isinstance(raw, list | tuple) and 1 <= len(raw) <= 2:
        return tuple(
            parse_quantity(item, "angle", file=reader.file, key=f"{where}[{index}]")
            for index, item in enumerate(raw)
        )
    raise reader.error(
        key, f"expected an angle such as '30 deg', '±39 deg' or a list of two angles, got {raw!r}"
    )


def read_hyperelastic_material(reader: MappingReader) -> HyperelasticMaterial:
    """Build a hyperelastic law from a preset block.

    Parameters
    ----------
    reader
        Reader over the block (its ``path`` locates errors, e.g.
        ``tissue.layers.adipose.hyperelastic``).

    Returns
    -------
    HyperelasticMaterial
        :class:`NeoHookean`, :class:`Ogden`, :class:`FibreReinforced` or
        :class:`CompressionStiffening`, in SI units.

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected, for an unknown law, a
        missing or unknown key, a value with the wrong unit or out of range.
    """
    law = reader.choice("law", HYPERELASTIC_LAWS)
    volumetric = reader.choice("volumetric", VOLUMETRIC_LAWS, "simo_miehe")
    for key in ("source", "note"):
        if reader.has(key):
            text = reader.string(key)
            if key == "source":
                reader.sources[reader.path or "hyperelastic"] = text
    material: HyperelasticMaterial
    try:
        if law == "neo_hookean":
            mu = _shear_modulus(reader)
            material = NeoHookean(mu, _bulk_modulus(reader, mu), volumetric)
        elif law == "ogden":
            moduli = _terms(reader, "mu", "pressure")
            exponents = _terms(reader, "alpha", "dimensionless")
            if len(moduli) != len(exponents):
                raise reader.error("alpha", f"expected {len(moduli)} exponent(s), one per mu")
            if any(m <= 0.0 for m in moduli):
                raise reader.error("mu", "every Ogden modulus must be positive")
            if any(a == 0.0 for a in exponents):
                raise reader.error("alpha", "Ogden exponents must be non-zero")
            material = Ogden(moduli, exponents, _bulk_modulus(reader, sum(moduli)), volumetric)
        elif law == "compression_stiffening":
            mu = _shear_modulus(reader)
            exponent = reader.number("stiffening_exponent")
            material = CompressionStiffening(mu, exponent, _bulk_modulus(reader, mu), volumetric)
        else:
            mu = _shear_modulus(reader)
            kappa = _bulk_modulus(reader, mu)
            k1 = reader.quantity("k1", "pressure", non_negative=True)
            k2 = reader.number("k2", positive=True)
            angles = _fibre_angles(reader)
            dispersion = reader.number("dispersion", 0.0, minimum=0.0, maximum=1.0 / 3.0)
            energy = reader.choice("fibre_energy", FIBRE_ENERGIES, "exponential_quadratic")
            material = FibreReinforced(mu, kappa, k1, k2, angles, dispersion, energy, volumetric)
    except ValueError as exc:
        raise reader.error(None, str(exc)) from None
    reader.finish()
    return material
