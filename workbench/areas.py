"""The areas of every scale and which résidences (atoms) each one holds.

Résidences are the atoms of the geography: every other area is a set of résidences (IRIS,
communes and the EPCI nest; QPV cross IRIS and sometimes communes; "commune hors QPV" is the
rest of a commune that holds a QPV). The same membership drives the aggregation of counts and
the additivity constraints of the secrecy engine, so the two can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

from workbench.dictionary import Dictionary

HORS_QPV_PREFIX = "HQ_"
SIMPLIFY_DEGREES = 0.0002  # ~15-20 m: enough for a city map, far lighter to send to a browser


@dataclass
class AreaSet:
    """Areas of a theme's geography, their atoms and the aggregation matrix."""

    areas: pd.DataFrame  # area_id, scale, name, parents...
    atoms: pd.Index  # atom ids (résidences, or finer units for attributions)
    membership: pd.DataFrame  # area_id, atom_id (one row per atom of each area)

    def matrix(self) -> tuple[sparse.csr_matrix, pd.Index]:
        """Sparse 0/1 matrix areas x atoms (rows in the order of ``areas.area_id``)."""
        area_index = pd.Index(self.areas["area_id"])
        rows = area_index.get_indexer(self.membership["area_id"])
        cols = self.atoms.get_indexer(self.membership["atom_id"])
        data = np.ones(len(rows), dtype=np.int64)
        m = sparse.csr_matrix((data, (rows, cols)), shape=(len(area_index), len(self.atoms)))
        return m, area_index


def residential_areas(residences: pd.DataFrame, communes: pd.DataFrame) -> AreaSet:
    """EPCI, communes, communes hors QPV, QPV, IRIS and résidences over résidence atoms."""
    res = residences.copy()
    res["code_qp"] = res["code_qp"].fillna("").astype(str)
    epci_of = communes.set_index("code")["epci"].astype(str)
    res["epci"] = res["depcom"].map(epci_of).fillna(epci_of.iloc[0] if len(epci_of) else "")
    atoms = pd.Index(res["residence_id"], name="atom_id")
    parts = [
        pd.DataFrame({"area_id": res["epci"], "scale": "epci", "atom_id": res["residence_id"]}),
        pd.DataFrame({"area_id": res["depcom"], "scale": "commune", "atom_id": res["residence_id"]}),
        pd.DataFrame({"area_id": res["code_iris"], "scale": "iris", "atom_id": res["residence_id"]}),
    ]
    in_qpv = res["code_qp"] != ""
    parts.append(
        pd.DataFrame(
            {"area_id": res.loc[in_qpv, "code_qp"], "scale": "qpv", "atom_id": res.loc[in_qpv, "residence_id"]}
        )
    )
    communes_with_qpv = set(res.loc[in_qpv, "depcom"])
    hq = ~in_qpv & res["depcom"].isin(communes_with_qpv)
    parts.append(
        pd.DataFrame(
            {
                "area_id": HORS_QPV_PREFIX + res.loc[hq, "depcom"],
                "scale": "commune_hors_qpv",
                "atom_id": res.loc[hq, "residence_id"],
            }
        )
    )
    parts.append(pd.DataFrame({"area_id": res["residence_id"], "scale": "residence", "atom_id": res["residence_id"]}))
    membership = pd.concat(parts, ignore_index=True)
    areas = membership[["area_id", "scale"]].drop_duplicates("area_id").reset_index(drop=True)
    return AreaSet(areas=areas, atoms=atoms, membership=membership[["area_id", "atom_id"]])


def area_table(
    residences: pd.DataFrame,
    communes: pd.DataFrame,
    iris: pd.DataFrame,
    qpv: pd.DataFrame,
    extra: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Every area of every scale with name, parents and (simplified) geometry, in WGS84."""
    com = gpd.GeoDataFrame(
        communes.drop(columns="geometry_wkb"),
        geometry=shapely.from_wkb(communes["geometry_wkb"].to_numpy()),
        crs="EPSG:4326",
    )
    iri = gpd.GeoDataFrame(
        iris.drop(columns="geometry_wkb"), geometry=shapely.from_wkb(iris["geometry_wkb"].to_numpy()), crs="EPSG:4326"
    )
    qp = gpd.GeoDataFrame(
        qpv.drop(columns="geometry_wkb"), geometry=shapely.from_wkb(qpv["geometry_wkb"].to_numpy()), crs="EPSG:4326"
    )
    epci_id = str(com["epci"].iloc[0])
    epci_name = str(com["epci_nom"].iloc[0]) if "epci_nom" in com else epci_id
    rows: list[pd.DataFrame] = []
    rows.append(
        pd.DataFrame(
            {
                "area_id": [epci_id],
                "scale": ["epci"],
                "name": [epci_name],
                "epci": [None],
                "geometry": [shapely.union_all(com.geometry.to_numpy())],
            }
        )
    )
    rows.append(
        pd.DataFrame(
            {"area_id": com["code"], "scale": "commune", "name": com["nom"], "epci": epci_id, "geometry": com.geometry}
        )
    )
    com_name = com.set_index("code")["nom"]
    res_qp = residences.loc[residences["code_qp"].fillna("") != ""]
    with_qpv = sorted(set(res_qp["depcom"]))
    qpv_union = shapely.union_all(qp.geometry.to_numpy()) if len(qp) else None
    com_geom = com.set_index("code").geometry
    rows.append(
        pd.DataFrame(
            {
                "area_id": [HORS_QPV_PREFIX + c for c in with_qpv],
                "scale": "commune_hors_qpv",
                "name": [f"{com_name.get(c, c)} (hors QPV)" for c in with_qpv],
                "epci": epci_id,
                "commune": with_qpv,
                "geometry": [
                    com_geom[c].difference(qpv_union) if qpv_union is not None else com_geom[c]
                    for c in with_qpv
                ],
            }
        )
    )
    qp_communes = qp["communes"].astype(str).str.split("|").str[0] if "communes" in qp else None
    rows.append(
        pd.DataFrame(
            {
                "area_id": qp["code_qp"],
                "scale": "qpv",
                "name": qp["lib_qp"],
                "epci": epci_id,
                "commune": qp_communes,
                "geometry": qp.geometry,
            }
        )
    )
    rows.append(
        pd.DataFrame(
            {
                "area_id": iri["code_iris"],
                "scale": "iris",
                "name": iri["nom_iris"],
                "epci": epci_id,
                "commune": iri["code_commune"],
                "geometry": iri.geometry,
            }
        )
    )
    rows.append(
        pd.DataFrame(
            {
                "area_id": residences["residence_id"],
                "scale": "residence",
                "name": residences["adresse"],
                "epci": epci_id,
                "commune": residences["depcom"],
                "iris": residences["code_iris"],
                "qpv": residences["code_qp"].fillna("").replace("", None),
                "adresse": residences["adresse"],
                "bailleur": residences["bailleur"].replace("", None),
                "annee_construction": pd.to_numeric(residences["annee_construction"], errors="coerce"),
                "geometry": shapely.points(residences["lon"].to_numpy(), residences["lat"].to_numpy()),
            }
        )
    )
    if extra is not None and len(extra):
        rows.append(extra.assign(geometry=None))
    out = pd.concat(rows, ignore_index=True)
    for col in ("epci", "commune", "iris", "qpv", "adresse", "bailleur"):
        if col not in out:
            out[col] = None
        out[col] = out[col].astype("object").where(out[col].notna(), None)
    if "annee_construction" not in out:
        out["annee_construction"] = np.nan
    gdf = gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326")
    polygons = (gdf["scale"] != "residence") & gdf.geometry.notna()  # GeoDataFrame.scale is a method
    gdf.loc[polygons, "geometry"] = gdf.loc[polygons, "geometry"].simplify(
        SIMPLIFY_DEGREES, preserve_topology=True
    )
    cols = ["area_id", "scale", "name", "epci", "commune", "iris", "qpv", "adresse", "bailleur", "annee_construction", "geometry"]
    return gdf[cols]


def non_geographic_areas(d: Dictionary, attributions: pd.DataFrame) -> pd.DataFrame:
    """Landlords and réservataires as areas of the attribution theme (no geometry)."""
    landlords = sorted(attributions["BAILLEUR"].dropna().astype(str).unique())
    codes = d.themes["attributions"].codes["RESERVATAIRE"]
    res = sorted(attributions["RESERVATAIRE"].dropna().astype(str).unique())
    return pd.concat(
        [
            pd.DataFrame({"area_id": [slug(b) for b in landlords], "scale": "bailleur", "name": landlords}),
            pd.DataFrame({"area_id": res, "scale": "reservataire", "name": [codes.get(r, r) for r in res]}),
        ],
        ignore_index=True,
    )


def slug(text: str) -> str:
    """A stable ASCII identifier for a landlord name."""
    import unicodedata

    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    out = "".join(ch if ch.isalnum() else "-" for ch in ascii_text.lower())
    return "B-" + "-".join(filter(None, out.split("-")))


def attribution_atoms(attributions: pd.DataFrame) -> pd.Series:
    """Atom of each attribution: its commune x landlord x réservataire.

    That is the finest partition the published scales need (commune, landlord, réservataire,
    EPCI). Résidences are not an attribution scale: their figures are withheld "not at scale"
    and never enter the published system.
    """
    return (
        attributions["DEPCOM"].astype(str)
        + "|" + attributions["BAILLEUR"].astype(str).map(slug)
        + "|" + attributions["RESERVATAIRE"].astype(str)
    )


def attribution_areas(attributions: pd.DataFrame, epci_id: str) -> AreaSet:
    """Areas of the attribution theme (EPCI, communes, landlords, réservataires) over atoms."""
    atom = attribution_atoms(attributions)
    a = pd.DataFrame(
        {
            "atom_id": atom,
            "depcom": attributions["DEPCOM"].astype(str),
            "bailleur": attributions["BAILLEUR"].astype(str).map(slug),
            "reservataire": attributions["RESERVATAIRE"].astype(str),
        }
    ).drop_duplicates("atom_id")
    parts = [
        pd.DataFrame({"area_id": epci_id, "scale": "epci", "atom_id": a["atom_id"]}),
        pd.DataFrame({"area_id": a["depcom"], "scale": "commune", "atom_id": a["atom_id"]}),
        pd.DataFrame({"area_id": a["bailleur"], "scale": "bailleur", "atom_id": a["atom_id"]}),
        pd.DataFrame({"area_id": a["reservataire"], "scale": "reservataire", "atom_id": a["atom_id"]}),
    ]
    membership = pd.concat(parts, ignore_index=True)
    areas = membership[["area_id", "scale"]].drop_duplicates("area_id").reset_index(drop=True)
    return AreaSet(
        areas=areas,
        atoms=pd.Index(a["atom_id"], name="atom_id"),
        membership=membership[["area_id", "atom_id"]],
    )
