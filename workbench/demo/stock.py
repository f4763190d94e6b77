"""Fictional social-housing stock: résidences and their dwellings, placed on real IRIS.

Drawn so the shape of the MEL stock is recognisable: concentrated where households and the
real social stock are, larger and older in the priority neighbourhoods, with many small
résidences (single houses, courées) elsewhere.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.ops import unary_union

from workbench.demo.geography import Geography, sample_points

# Approximate share of social dwellings among households, by commune (others: see default).
SOCIAL_SHARE: dict[str, float] = {
    "59512": 0.46, "59599": 0.33, "59350": 0.27, "59650": 0.42, "59299": 0.46,
    "59360": 0.42, "59410": 0.46, "59009": 0.38, "59367": 0.38, "59163": 0.30,
    "59220": 0.30, "59286": 0.35, "59560": 0.30, "59646": 0.26, "59279": 0.30,
    "59507": 0.30, "59346": 0.35, "59339": 0.30, "59648": 0.26, "59017": 0.30,
    "59368": 0.18, "59328": 0.17, "59378": 0.17, "59527": 0.20, "59152": 0.22,
    "59332": 0.30, "59317": 0.22, "59421": 0.15,
}
QPV_DWELLING_SHARE = 0.36

LANDLORDS = [
    "Bailleur Aubépine", "Bailleur Bouleau", "Bailleur Charme", "Bailleur Cormier",
    "Bailleur Érable", "Bailleur Frêne", "Bailleur Hêtre", "Bailleur Mélèze",
    "Bailleur Noisetier", "Bailleur Orme", "Bailleur Peuplier", "Bailleur Saule",
    "Bailleur Sorbier", "Bailleur Tilleul", "Bailleur Tremble",
]
LANDLORD_WEIGHTS = np.array([20, 17, 14, 10, 8, 7, 5, 4, 3.5, 3, 2.5, 2, 1.5, 1.5, 1.0])

STREET_TYPES = ["RUE", "AV", "BD", "ALL", "PL", "CHE", "IMP", "SQ", "RES"]
STREET_NAMES = [
    "des Tilleuls", "Victor Hugo", "Jean Jaurès", "de la Gare", "Pasteur", "des Écoles",
    "du Moulin", "de la Paix", "Jules Ferry", "des Peupliers", "Émile Zola", "Carnot",
    "de la République", "des Lilas", "du Général de Gaulle", "Gambetta", "Jean Moulin",
    "des Acacias", "de l'Égalité", "des Marronniers", "Louis Pasteur", "du Stade",
    "des Roses", "Anatole France", "de la Liberté", "du Château", "des Mésanges",
    "Pierre Brossolette", "des Rosiers", "de la Fraternité", "Paul Bert", "des Bleuets",
    "Denis Papin", "Jacques Brel", "des Hirondelles", "de la Mairie", "Édouard Vaillant",
    "Marcel Pagnol", "des Fusillés", "Albert Camus", "des Coquelicots", "Jean Macé",
    "du Marais", "de l'Abbaye", "des Charmes", "Racine", "Molière", "Voltaire",
    "des Sorbiers", "de la Croix", "du Calvaire", "Léon Blum", "des Près", "de Lattre",
    "Condorcet", "du Bois", "des Vignes", "Roger Salengro", "des Cerisiers", "Lamartine",
]


def draw_sizes(n: int, in_qpv: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Résidence sizes (dwellings): many under 11, towers up to 300, larger in QPV."""
    u = rng.random(n)
    qpv_cuts, other_cuts = np.array([0.14, 0.48, 0.84]), np.array([0.46, 0.86, 0.97])
    cuts = np.where(in_qpv[:, None], qpv_cuts, other_cuts)
    band = (u[:, None] > cuts).sum(axis=1)
    low = np.array([1, 11, 51, 121])[band]
    high = np.array([10, 50, 120, 300])[band]
    # Smaller sizes are more frequent within each band.
    return (low + (high - low) * rng.random(n) ** 1.6).round().astype(int)


def _sizes_until(total: int, in_qpv: bool, rng: np.random.Generator) -> np.ndarray:
    sizes = draw_sizes(max(total // 10, 10), np.full(max(total // 10, 10), in_qpv), rng)
    keep = np.searchsorted(np.cumsum(sizes), total) + 1
    return sizes[:keep]


def place_residences(geo: Geography, total: int, rng: np.random.Generator,
                     qpv_share: float = QPV_DWELLING_SHARE) -> pd.DataFrame:
    """Place résidences (size, Lambert-93 point, IRIS, commune, QPV) on the territory."""
    iris = geo.iris
    qpv_union = unary_union(list(geo.qpv.geometry))
    parts = []
    # In the QPV: dwellings shared in proportion to each QPV area.
    qpv_total = int(total * qpv_share)
    areas = geo.qpv.area.to_numpy()
    for geom, share in zip(geo.qpv.geometry, areas / areas.sum(), strict=True):
        if qpv_total == 0:
            break
        sizes = _sizes_until(max(int(qpv_total * share), 30), True, rng)
        parts.append((sizes, sample_points(geom, len(sizes), rng)))
    # Elsewhere: in proportion to households and the commune's social share.
    share = iris.INSEE_COM.map(SOCIAL_SHARE).fillna(0.0).to_numpy()
    default = np.where(iris.groupby("INSEE_COM").P19_PMEN.transform("sum") > 4000, 0.10, 0.05)
    share = np.where(share > 0, share, default)
    typ = iris.TYP_IRIS.map({"H": 1.0, "Z": 1.0, "A": 0.3, "D": 0.3}).to_numpy()
    w = iris.P19_PMEN.to_numpy() * share * typ * rng.lognormal(0, 0.5, len(iris))
    sizes = _sizes_until(total - qpv_total, False, rng)
    where = rng.choice(len(iris), size=len(sizes), p=w / w.sum())
    for i in np.unique(where):
        k = where == i
        geom = iris.geometry.iloc[i]
        outside = geom.difference(qpv_union)
        area = outside if outside.area > 0.2 * geom.area else geom
        parts.append((sizes[k], sample_points(area, int(k.sum()), rng)))
    xy = np.vstack([p[1] for p in parts])
    res = pd.DataFrame({"size": np.concatenate([p[0] for p in parts]), "x": xy[:, 0],
                        "y": xy[:, 1]})
    pts = gpd.GeoDataFrame(res, geometry=gpd.points_from_xy(res.x, res.y), crs=iris.crs)
    j = gpd.sjoin_nearest(pts, iris[["CODE_IRIS", "INSEE_COM", "NOM_COM", "geometry"]])
    j = j[~j.index.duplicated()]
    q = gpd.sjoin(pts, geo.qpv[["code_qp", "geometry"]], predicate="within", how="left")
    q = q[~q.index.duplicated()]
    res["code_iris"] = j.CODE_IRIS.to_numpy()
    res["depcom"] = j.INSEE_COM.to_numpy()
    res["libcom"] = j.NOM_COM.to_numpy()
    res["code_qp"] = q.code_qp.fillna("").to_numpy()
    return res


def describe_residences(
    res: pd.DataFrame, postcodes: dict[str, str], first_vintage: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Add construction, type, landlord, address and latent fragility to placed résidences."""
    n = len(res)
    in_qpv = (res.code_qp != "").to_numpy()
    size = res["size"].to_numpy()
    era = rng.choice(5, size=n, p=[0.06, 0.30, 0.20, 0.16, 0.28])
    era = np.where(in_qpv & (rng.random(n) < 0.8), 1, era)
    lo = np.array([1890, 1950, 1975, 1990, 2005])[era]
    hi = np.array([1948, 1974, 1989, 2004, first_vintage - 2])[era]
    construct = (lo + (hi - lo + 1) * rng.random(n)).astype(int)
    acquired = rng.random(n) < 0.06
    locat = np.where(acquired, np.maximum(construct, rng.integers(1985, first_vintage - 1, n)),
                     construct)
    typeconst = np.where(size <= 4, np.where(rng.random(n) < 0.85, "I", "C"),
                         np.where(size <= 10, np.where(rng.random(n) < 0.5, "I", "C"), "C"))
    # Estates of terraced houses (lotissements, cités) outside the QPV.
    estates = (~in_qpv) & (size > 10) & (size <= 60) & (rng.random(n) < 0.3)
    typeconst = np.where(estates, "I", typeconst)
    student = (~in_qpv) & (size >= 40) & res.depcom.isin(["59009", "59350"]).to_numpy() \
        & (rng.random(n) < 0.08)
    typeconst = np.where(student, "E", typeconst)
    # Landlords: global weights, boosted for a dominant landlord per commune.
    communes = sorted(res.depcom.unique())
    dominant = {c: rng.choice(len(LANDLORDS), p=LANDLORD_WEIGHTS / LANDLORD_WEIGHTS.sum())
                for c in communes}
    bailleur = np.empty(n, dtype=object)
    for c in communes:
        k = (res.depcom == c).to_numpy()
        w = LANDLORD_WEIGHTS.copy()
        w[dominant[c]] += 25
        bailleur[k] = np.array(LANDLORDS)[rng.choice(len(LANDLORDS), size=k.sum(), p=w / w.sum())]
    # Addresses: unique (street, number) per commune.
    numvoie = np.empty(n, dtype=object)
    typvoie = np.empty(n, dtype=object)
    nomvoie = np.empty(n, dtype=object)
    streets = sorted({(t, nm.upper()) for t in STREET_TYPES for nm in STREET_NAMES})
    for c in communes:
        idx = np.flatnonzero((res.depcom == c).to_numpy())
        n_streets = min(len(streets), max(3, len(idx) // 4))
        chosen = rng.choice(len(streets), size=n_streets, replace=False)
        street_of = chosen[rng.integers(0, n_streets, len(idx))]
        steps = rng.integers(1, 12, len(idx))
        counters: dict[int, int] = {}
        for i, s, step in zip(idx, street_of, steps, strict=True):
            counters[s] = counters.get(s, 0) + int(step)  # strictly increasing: unique
            typvoie[i], nomvoie[i] = streets[s]
            numvoie[i] = str(counters[s])
    commune_effect = {c: rng.normal(0, 0.25) for c in communes}
    frag = (-0.35 + 0.9 * in_qpv + 0.35 * (construct < 1975)
            + res.depcom.map(commune_effect).to_numpy() + rng.normal(0, 0.45, n))
    # Residences where every household shares an attribute (the 0/100 % rule must bite).
    homog = np.full(n, "", dtype=object)
    big = np.flatnonzero((size >= 15) & (typeconst == "C"))
    pick = rng.choice(big, size=min(len(big), max(2, len(big) * 3 // 100)), replace=False)
    homog[pick] = np.where(rng.random(len(pick)) < 0.5, "senior", "apl")
    landlord_rate = dict(zip(LANDLORDS, rng.uniform(0.72, 0.93, len(LANDLORDS)), strict=True))
    rate = np.clip(pd.Series(bailleur).map(landlord_rate).to_numpy() + rng.normal(0, 0.08, n),
                   0.3, 1.0)
    low = rng.random(n) < 0.12
    rate = np.where(low, rng.uniform(0.3, 0.58, n), rate)
    rate = np.where(homog != "", 1.0, rate)
    out = res.assign(
        construct=construct, locat=locat, typeconst=typeconst, bailleur=bailleur,
        numvoie=numvoie, typvoie=typvoie, nomvoie=nomvoie,
        codepostal=res.depcom.map(postcodes).fillna("59000").to_numpy(),
        frag=frag, homog=homog, response_rate=rate,
        vacancy_risk=np.clip(rng.lognormal(-0.3, 0.8, n) * (1 + in_qpv), 0, 6),
        first_vintage=first_vintage, last_vintage=9999,
    )
    return out


def encode_ids(numbers: np.ndarray) -> np.ndarray:
    """Stable 10-character [0-9A-Z] identifiers from distinct integers (bijective scramble)."""
    space = 36**10
    n = (numbers.astype(np.int64) * 2_654_435_761 + 12_345_678_901) % space  # coprime
    alphabet = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
    digits = np.empty((len(n), 10), dtype=np.uint8)
    for pos in range(9, -1, -1):
        n, r = np.divmod(n, 36)
        digits[:, pos] = alphabet[r]
    return digits.view("S10").ravel().astype(str)


def expand_dwellings(res: pd.DataFrame, first_id: int, rng: np.random.Generator) -> pd.DataFrame:
    """One row per dwelling with its static RPLS attributes."""
    r = np.repeat(np.arange(len(res)), res["size"].to_numpy())
    n = len(r)
    tc = res.typeconst.to_numpy()[r]
    p_coll = [0.08, 0.21, 0.36, 0.25, 0.08, 0.02]
    p_ind = [0.01, 0.06, 0.25, 0.40, 0.22, 0.06]
    p_stu = [0.88, 0.12, 0, 0, 0, 0]
    nb = np.where(tc == "I", rng.choice(6, n, p=p_ind),
                  np.where(tc == "E", rng.choice(6, n, p=p_stu), rng.choice(6, n, p=p_coll))) + 1
    surf = np.array([0, 27, 46, 64, 79, 93, 107])[nb] + rng.normal(0, 5, n)
    surf = np.clip(surf, 12, 250).round(1)
    locat = res.locat.to_numpy()[r]
    construct = res.construct.to_numpy()[r]
    old = rng.choice(["52", "52", "52", "53", "51", "54", "99"], n)
    old = np.where((construct < 1950) & (rng.random(n) < 0.3), "50", old)
    recent = rng.choice(["13", "10", "14", "12", "16", "49", "11"], n,
                        p=[0.52, 0.2, 0.12, 0.08, 0.03, 0.03, 0.02])
    finan = np.where(locat < 1977, old, recent)
    age = np.clip(2024 - construct, 0, 130)
    dpe_score = age / 22 + rng.normal(0, 1.0, n)
    dpe = np.array(list("ABCDEFG"))[np.clip(np.round(dpe_score).astype(int) + 1, 0, 6)]
    dpe = np.where(rng.random(n) < 0.08, "", dpe)
    per_m2 = pd.Series(finan).map(
        {"10": 5.3, "11": 5.3, "13": 6.0, "12": 5.9, "49": 5.9, "14": 8.6, "16": 10.2}
    ).fillna(4.9).to_numpy()
    loyer = (surf * per_m2 * rng.normal(1, 0.07, n)).round(2)
    contres = rng.choice(["7", "2", "1", "3", "4", "6"], n,
                         p=[0.30, 0.25, 0.05, 0.22, 0.15, 0.03])
    ident = encode_ids(np.arange(first_id, first_id + n))
    return pd.DataFrame({
        "res": r, "IDENT_REP": ident, "NBPIECE": nb, "SURFHAB": surf, "FINAN": finan,
        "DPEENERGIE": dpe, "LOYERPRINC": loyer, "CONTRESLOG": contres,
    })
