"""Make docs/figures/materials_fits.png (docs/materials.md).

Left: the shear modulus of small waves in the plane transverse to a uniaxial compression,
against C_yy = λ², for the compression-stiffening fat and muscle laws of the lumbar preset
scaled to Hatt's coefficients, Hatt et al. 2023's fitted curves, and a neo-Hookean solid.
Right: the tangent modulus dP/dε of uniaxial compression against the compressive stress,
with Isogai et al. 2022's probe data placed at force / (assumed 4 cm² probe face).

    .venv/bin/python docs/figures/make_materials_fits.py
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from tissue_sim.mechanics.hyperelastic import (
    CompressionStiffening,
    HyperelasticMaterial,
    NeoHookean,
)
from tissue_sim.mechanics.hyperelastic.compression_stiffening import (
    HATT_2023_FAT,
    HATT_2023_MUSCLE,
    transverse_shear_modulus,
    uniaxial_stress,
)

HERE = Path(__file__).resolve().parent
PROBE_AREA = 4.0e-4  # m², assumption (Isogai 2022 does not give it)


def _kappa(mu: float, nu: float) -> float:
    return 2.0 * mu * (1.0 + nu) / (3.0 * (1.0 - 2.0 * nu))


def _tangent_curve(material: HyperelasticMaterial) -> tuple[np.ndarray, np.ndarray]:
    stretches = np.linspace(0.999, 0.05, 150)
    stress = np.array([-uniaxial_stress(material, s)[0] for s in stretches])
    strain = 1.0 - stretches
    return stress, np.gradient(stress, strain)


def main() -> Path:
    fat = CompressionStiffening(748.5, 1.18, _kappa(748.5, 0.499))
    gluteal_muscle = CompressionStiffening(956.4, 0.36, _kappa(956.4, 0.495))
    neo = NeoHookean(748.5, _kappa(748.5, 0.499))
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))

    cyy = np.linspace(0.3, 1.0, 50)
    measured = np.linspace(*HATT_2023_FAT.cyy_range, 8)
    for curve, law, colour, name in (
        (HATT_2023_FAT, fat, "tab:orange", "fat"),
        (HATT_2023_MUSCLE, gluteal_muscle, "tab:red", "gluteal muscle"),
    ):
        left.plot(cyy, curve(cyy), color=colour, lw=2, label=f"Hatt 2023 {name}")
        left.plot(
            measured,
            transverse_shear_modulus(law, measured),
            "o",
            color=colour,
            mfc="none",
            label=f"law, b = {law.stiffening_exponent}",
        )
    left.plot(cyy, transverse_shear_modulus(neo, cyy), "k--", label="neo-Hookean μ = 748.5 Pa")
    left.axvspan(*HATT_2023_FAT.cyy_range, color="0.93", zorder=0)
    left.set_xlabel("C_yy = λ² along the compression")
    left.set_ylabel("transverse shear-wave modulus ρc² [Pa]")
    left.set_title("MR elastography under compression")
    left.legend(fontsize=8)

    for law, colour, name in ((fat, "tab:orange", "fat law"), (neo, "k", "neo-Hookean")):
        stress, tangent = _tangent_curve(law)
        style = "-" if law is fat else "--"
        right.loglog(stress, tangent, style, color=colour, label=name)
    stress, tangent = _tangent_curve(gluteal_muscle)
    right.loglog(stress, tangent, color="tab:red", label="muscle law, μ₀ = 956 Pa (Hatt MRE)")
    lumbar_muscle = CompressionStiffening(14.435e3, 0.36, _kappa(14.435e3, 0.495))
    stress, tangent = _tangent_curve(lumbar_muscle)
    right.loglog(stress, tangent, "-.", color="darkred", label="muscle law, μ₀ = 14.4 kPa (lumbar)")
    right.errorbar(
        [1.0 / PROBE_AREA, 30.0 / PROBE_AREA],
        [26.1e3, 2199e3],
        yerr=[[19.0e3, 1355e3], [19.0e3, 1355e3]],
        fmt="s",
        color="tab:orange",
        label="Isogai 2022 subcutaneous (1 N, 30 N)",
    )
    right.errorbar(
        [5.0 / PROBE_AREA, 30.0 / PROBE_AREA],
        [62.2e3, 440e3],
        yerr=[[10.3e3, 80e3], [10.3e3, 80e3]],
        fmt="^",
        color="tab:red",
        label="Isogai 2022 muscle (5 N, 30 N)",
    )
    right.set_xlim(300, 2e5)
    right.set_ylim(1e3, 1e7)
    right.set_xlabel("uniaxial compressive stress [Pa] (probe: force / 4 cm², assumed)")
    right.set_ylabel("tangent modulus dP/dε [Pa]")
    right.set_title("uniaxial compression")
    right.legend(fontsize=8)
    figure.tight_layout()
    out = HERE / "materials_fits.png"
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out


if __name__ == "__main__":
    print(main())
