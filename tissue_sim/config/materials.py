"""Hyperelastic material blocks of a tissue layer → typed law parameters in SI units.

A layer's ``hyperelastic`` block (in a tissue preset or a scenario) names its law and
gives its parameters with units; any value may be a sourced value
``{value: "8 kPa", source: "..."}``::

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

The block is read here, by the config stage, into one of the frozen dataclasses below
(:data:`HyperelasticLaw`), so that a mistake is reported by :func:`load_config` naming
the file and key path. The mechanics stage turns a law into its material class
(:func:`tissue_sim.mechanics.hyperelastic.hyperelastic_material`); config never imports
mechanics. Adding a law: a dataclass and a branch of :func:`read_hyperelastic_law` here,
a material class and one entry of the builder table in
``tissue_sim/mechanics/hyperelastic/preset.py`` (see ``docs/architecture.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from tissue_sim.config.reader import MappingReader
from tissue_sim.config.units import parse_quantity

__all__ = [
    "FIBRE_ENERGIES",
    "HYPERELASTIC_LAWS",
    "VOLUMETRIC_LAWS",
    "CompressionStiffeningLaw",
    "FibreReinforcedLaw",
    "HyperelasticLaw",
    "NeoHookeanLaw",
    "OgdenLaw",
    "fibre_bisector",
    "read_hyperelastic_law",
]

#: Law names accepted in a block (``law:``).
HYPERELASTIC_LAWS = ("neo_hookean", "ogden", "hgo", "compression_stiffening")
#: Volumetric energies U(J) (``volumetric:``); the mechanics stage implements each.
VOLUMETRIC_LAWS = ("simo_miehe", "quadratic", "logarithmic")
#: Fibre energies of the hgo law (``fibre_energy:``).
FIBRE_ENERGIES = ("exponential_quadratic", "exponential")

_PLUS_MINUS = ("±", "+-", "+/-")


def _check_positive(value: float, what: str) -> None:
    if not (math.isfinite(value) and value > 0.0):
        raise ValueError(f"{what} must be positive, got {value!r}")


def _check_choice(value: str, choices: tuple[str, ...], what: str) -> None:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; expected one of {choices}")


def _check_common(bulk_modulus: float, volumetric: str) -> None:
    _check_positive(bulk_modulus, "bulk modulus")
    _check_choice(volumetric, VOLUMETRIC_LAWS, "volumetric law")


@dataclass(frozen=True)
class NeoHookeanLaw:
    """Nearly incompressible neo-Hookean law (the equations are in the mechanics class).

    Attributes
    ----------
    shear_modulus
        μ [Pa], > 0.
    bulk_modulus
        κ [Pa], > 0.
    volumetric
        Volumetric energy, one of :data:`VOLUMETRIC_LAWS`.
    """

    law: ClassVar[str] = "neo_hookean"
    shear_modulus: float
    bulk_modulus: float
    volumetric: str = "simo_miehe"

    def __post_init__(self) -> None:
        _check_positive(self.shear_modulus, "shear modulus")
        _check_common(self.bulk_modulus, self.volumetric)


@dataclass(frozen=True)
class OgdenLaw:
    """Nearly incompressible N-term Ogden law.

    Attributes
    ----------
    moduli
        μ_p [Pa], one per term, each > 0 (small-strain shear modulus Σ μ_p).
    exponents
        α_p [-], one per term, non-zero.
    bulk_modulus
        κ [Pa], > 0.
    volumetric
        Volumetric energy, one of :data:`VOLUMETRIC_LAWS`.
    """

    law: ClassVar[str] = "ogden"
    moduli: tuple[float, ...]
    exponents: tuple[float, ...]
    bulk_modulus: float
    volumetric: str = "simo_miehe"

    def __post_init__(self) -> None:
        if len(self.moduli) != len(self.exponents) or not self.moduli:
            raise ValueError("Ogden mu and alpha need the same number (≥ 1) of terms")
        if not all(math.isfinite(m) and m > 0.0 for m in self.moduli):
            raise ValueError(f"Ogden moduli mu must be positive, got {self.moduli}")
        if not all(math.isfinite(a) and a != 0.0 for a in self.exponents):
            raise ValueError(
                f"Ogden exponents alpha must be finite and non-zero, got {self.exponents}"
            )
        _check_common(self.bulk_modulus, self.volumetric)


@dataclass(frozen=True)
class FibreReinforcedLaw:
    """Fibre-reinforced (Holzapfel–Gasser–Ogden type) law: neo-Hookean matrix + fibres.

    Attributes
    ----------
    shear_modulus
        Matrix μ [Pa], > 0.
    bulk_modulus
        κ [Pa], > 0.
    k1
        Fibre stiffness [Pa], ≥ 0.
    k2
        Fibre exponent [-], > 0.
    fibre_angles
        One or two in-plane fibre angles from the x axis [rad].
    dispersion
        κ_d in [0, 1/3].
    fibre_energy
        One of :data:`FIBRE_ENERGIES`.
    volumetric
        Volumetric energy, one of :data:`VOLUMETRIC_LAWS`.
    """

    law: ClassVar[str] = "hgo"
    shear_modulus: float
    bulk_modulus: float
    k1: float
    k2: float
    fibre_angles: tuple[float, ...]
    dispersion: float = 0.0
    fibre_energy: str = "exponential_quadratic"
    volumetric: str = "simo_miehe"

    def __post_init__(self) -> None:
        angles = self.fibre_angles
        if not 1 <= len(angles) <= 2 or not all(math.isfinite(a) for a in angles):
            raise ValueError(f"one or two finite fibre angles are required, got {angles}")
        _check_positive(self.shear_modulus, "shear modulus")
        if not (math.isfinite(self.k1) and self.k1 >= 0.0):
            raise ValueError(f"fibre stiffness k1 must be non-negative, got {self.k1!r}")
        _check_positive(self.k2, "fibre exponent k2")
        if not 0.0 <= self.dispersion <= 1.0 / 3.0:
            raise ValueError(f"dispersion must lie in [0, 1/3], got {self.dispersion!r}")
        _check_choice(self.fibre_energy, FIBRE_ENERGIES, "fibre energy")
        _check_common(self.bulk_modulus, self.volumetric)


@dataclass(frozen=True)
class CompressionStiffeningLaw:
    """Compression-stiffening law of fat and muscle (shear modulus μ₀ C^-b, Hatt 2023).

    Attributes
    ----------
    shear_modulus
        μ₀ at rest [Pa], > 0.
    stiffening_exponent
        b [-], |b| ≥ 1/4 (a polyconvex Ogden exponent |4b| ≥ 1).
    bulk_modulus
        κ [Pa], > 0.
    volumetric
        Volumetric energy, one of :data:`VOLUMETRIC_LAWS`.
    """

    law: ClassVar[str] = "compression_stiffening"
    shear_modulus: float
    stiffening_exponent: float
    bulk_modulus: float
    volumetric: str = "simo_miehe"

    def __post_init__(self) -> None:
        _check_positive(self.shear_modulus, "shear modulus")
        b = self.stiffening_exponent
        if not (math.isfinite(b) and abs(b) >= 0.25):
            raise ValueError(
                f"stiffening exponent must satisfy |b| >= 0.25 (Ogden |alpha| >= 1), got {b!r}"
            )
        _check_common(self.bulk_modulus, self.volumetric)


#: The parameters of one layer's hyperelastic law.
HyperelasticLaw = NeoHookeanLaw | OgdenLaw | FibreReinforcedLaw | CompressionStiffeningLaw


def fibre_bisector(angles: tuple[float, ...]) -> float:
    """The mean in-plane direction of one or two fibre families [rad], in (−π/2, π/2].

    Fibres have no sign, so directions are averaged as axes: ``±39°`` gives 0°,
    ``(30°, 90°)`` gives 60°, one family its own angle (folded into (−π/2, π/2]).
    """
    # axial mean: average the doubled angles, halve the result
    doubled = complex(
        sum(math.cos(2.0 * a) for a in angles), sum(math.sin(2.0 * a) for a in angles)
    )
    if abs(doubled) < 1e-12:  # two families 90° apart: no preferred axis; take the first
        doubled = complex(math.cos(2.0 * angles[0]), math.sin(2.0 * angles[0]))
    angle = 0.5 * math.atan2(doubled.imag, doubled.real)
    return angle if angle > -0.5 * math.pi else angle + math.pi


def _has_first_of(reader: MappingReader, first: str, second: str, note: str = "") -> bool:
    """Whether the block gives ``first`` rather than ``second``; exactly one is required."""
    has_first = reader.has(first)
    if has_first == reader.has(second):
        raise reader.error(None, f"give exactly one of {first} or {second}{note}")
    return has_first


def _shear_modulus(reader: MappingReader) -> float:
    if _has_first_of(reader, "shear_modulus", "c10", " (μ = 2·C10)"):
        return reader.quantity("shear_modulus", "pressure", positive=True)
    return 2.0 * reader.quantity("c10", "pressure", positive=True)


def _bulk_modulus(reader: MappingReader, shear_modulus: float) -> float:
    if _has_first_of(reader, "bulk_modulus", "poisson_ratio"):
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


def read_hyperelastic_law(reader: MappingReader) -> HyperelasticLaw:
    """Read one ``hyperelastic`` block into its law's parameters (SI units).

    Parameters
    ----------
    reader
        Reader over the block (its ``path`` locates errors, e.g.
        ``tissue.layers.adipose.hyperelastic``); sourced values are recorded in its
        ``sources`` under their key paths (the block's own ``source`` under the path).

    Returns
    -------
    HyperelasticLaw
        :class:`NeoHookeanLaw`, :class:`OgdenLaw`, :class:`FibreReinforcedLaw` or
        :class:`CompressionStiffeningLaw`.

    Raises
    ------
    InputError
        Naming the file, the key path and what was expected, for an unknown law, a
        missing or unknown key, a value with the wrong unit or out of range.

    Examples
    --------
    >>> law = read_hyperelastic_law(
    ...     MappingReader({"law": "neo_hookean", "c10": "4 kPa", "poisson_ratio": 0.494})
    ... )
    >>> law.shear_modulus, round(law.bulk_modulus)
    (8000.0, 664000)
    """
    law = reader.choice("law", HYPERELASTIC_LAWS)
    volumetric = reader.choice("volumetric", VOLUMETRIC_LAWS, "simo_miehe")
    for key in ("source", "note"):
        if reader.has(key):
            text = reader.string(key)
            if key == "source":
                reader.sources[reader.path or "hyperelastic"] = text
    result: HyperelasticLaw
    try:
        if law == "neo_hookean":
            mu = _shear_modulus(reader)
            result = NeoHookeanLaw(mu, _bulk_modulus(reader, mu), volumetric)
        elif law == "ogden":
            moduli = _terms(reader, "mu", "pressure")
            exponents = _terms(reader, "alpha", "dimensionless")
            if len(moduli) != len(exponents):
                raise reader.error("alpha", f"expected {len(moduli)} exponent(s), one per mu")
            if any(m <= 0.0 for m in moduli):
                raise reader.error("mu", "every Ogden modulus must be positive")
            if any(a == 0.0 for a in exponents):
                raise reader.error("alpha", "Ogden exponents must be non-zero")
            result = OgdenLaw(moduli, exponents, _bulk_modulus(reader, sum(moduli)), volumetric)
        elif law == "compression_stiffening":
            mu = _shear_modulus(reader)
            exponent = reader.number("stiffening_exponent")
            result = CompressionStiffeningLaw(mu, exponent, _bulk_modulus(reader, mu), volumetric)
        else:
            mu = _shear_modulus(reader)
            kappa = _bulk_modulus(reader, mu)
            k1 = reader.quantity("k1", "pressure", non_negative=True)
            k2 = reader.number("k2", positive=True)
            angles = _fibre_angles(reader)
            dispersion = reader.number("dispersion", 0.0, minimum=0.0, maximum=1.0 / 3.0)
            energy = reader.choice("fibre_energy", FIBRE_ENERGIES, "exponential_quadratic")
            result = FibreReinforcedLaw(mu, kappa, k1, k2, angles, dispersion, energy, volumetric)
    except ValueError as exc:
        raise reader.error(None, str(exc)) from None
    reader.finish()
    return result
