"""Generate the synthetic flood-risk data set: clean inputs and a deliberately corrupt copy.

Writes, next to this script:

    clean/rainfall.csv     region_id, month (YYYY-MM), rainfall_mm        (monthly gauge totals)
    clean/elevation.csv    region_id, elevation_m, slope_pct, river_distance_km
    clean/portfolio.csv    bond_id, issuer, sector, region_id, exposure_usd, maturity_year
    clean/loss_events.csv  region_id, month, flood_loss (1 = a flood-loss event was recorded)
    corrupt/…              the same files with missing values, impossible readings and a gap,
                           so that the `validate_data` step rejects them

The data is made up: thirty fictional municipalities, six years of monthly rainfall, and loss
events drawn from a known logistic model of rainfall and terrain (so a classifier can learn it).

Everything comes from fixed seeds through numpy's legacy `RandomState`, whose streams numpy keeps
stable across releases (the newer `Generator` API may change its streams), and every number is
written with a fixed format; running this script again reproduces the committed files byte for
byte. `python generate.py --check` regenerates into a temporary folder and compares.
"""

from __future__ import annotations

import argparse
import csv
import filecmp
import math
import sys
import tempfile
from pathlib import Path

import numpy as np

SEED = 20240117
FIRST_YEAR, LAST_YEAR = 2019, 2024
N_BONDS = 150
TOWNS = [
    "Ashford", "Bramwell", "Cedar Falls", "Dunmore", "Eastbrook", "Fairhaven", "Glenrock",
    "Harrow Bay", "Ironbridge", "Juniper", "Kingsmere", "Larkfield", "Millbrook", "Northgate",
    "Oakridge", "Pinecrest", "Queensport", "Riverside", "Stonehill", "Thornbury", "Upton",
    "Valemount", "Westmarsh", "Yarrow", "Zephyr Point", "Alderton", "Brookvale", "Coldwater",
    "Deepdale", "Elmstead",
]  # fmt: skip
SECTORS = {
    "general_obligation": "General Obligation",
    "water_sewer": "Water & Sewer Authority",
    "school_district": "School District",
    "transit": "Transit Authority",
    "hospital": "Hospital District",
}

Table = tuple[list[str], list[list[str]]]


def months() -> list[tuple[int, str]]:
    """Every month of the data set, as (month of year 1-12, 'YYYY-MM')."""
    return [(m, f"{y}-{m:02d}") for y in range(FIRST_YEAR, LAST_YEAR + 1) for m in range(1, 13)]


def make_terrain(rng: np.random.RandomState) -> list[dict[str, float | str]]:
    """One terrain record per region: elevation, slope and distance to the nearest river."""
    regions: list[dict[str, float | str]] = []
    for i, town in enumerate(TOWNS, start=1):
        regions.append(
            {
                "region_id": f"R{i:02d}",
                "town": town,
                "elevation_m": round(float(rng.uniform(3.0, 320.0)), 1),
                "slope_pct": round(float(rng.uniform(0.2, 8.0)), 2),
                "river_distance_km": round(float(rng.uniform(0.1, 25.0)), 2),
                "wetness": float(rng.uniform(0.7, 1.4)),
            }
        )
    return regions


def vulnerability(region: dict[str, float | str]) -> float:
    """How exposed the terrain is to flooding: low, flat and close to a river is worst."""
    elevation = float(region["elevation_m"])
    slope = float(region["slope_pct"])
    river = float(region["river_distance_km"])
    return 1.6 * math.exp(-elevation / 80) + 1.0 * math.exp(-river / 4) + 0.4 * (8 - slope) / 8


def make_rainfall_and_losses(
    rng: np.random.RandomState, regions: list[dict[str, float | str]]
) -> tuple[Table, Table]:
    """Monthly rainfall per region, and loss events drawn from a logistic model of it."""
    rain_rows: list[list[str]] = []
    loss_rows: list[list[str]] = []
    for region in regions:
        history: list[float] = []
        for month_of_year, month in months():
            seasonal = 85 + 45 * math.sin(2 * math.pi * (month_of_year - 3) / 12)
            rain = seasonal * float(region["wetness"]) * float(rng.lognormal(0.0, 0.35))
            if rng.uniform() < 0.07:  # a storm month
                rain += float(rng.uniform(120.0, 300.0))
            rain = round(rain, 1)
            history.append(rain)
            rain_3m = sum(history[-3:])
            z = -8.2 + 0.022 * rain + 0.004 * rain_3m + 1.9 * vulnerability(region)
            event = int(rng.uniform() < 1 / (1 + math.exp(-z)))
            rain_rows.append([str(region["region_id"]), month, f"{rain:.1f}"])
            loss_rows.append([str(region["region_id"]), month, str(event)])
    return (
        (["region_id", "month", "rainfall_mm"], rain_rows),
        (["region_id", "month", "flood_loss"], loss_rows),
    )


def make_elevation(regions: list[dict[str, float | str]]) -> Table:
    header = ["region_id", "elevation_m", "slope_pct", "river_distance_km"]
    rows = [
        [
            str(r["region_id"]),
            f"{float(r['elevation_m']):.1f}",
            f"{float(r['slope_pct']):.2f}",
            f"{float(r['river_distance_km']):.2f}",
        ]
        for r in regions
    ]
    return header, rows


def make_portfolio(rng: np.random.RandomState, regions: list[dict[str, float | str]]) -> Table:
    """Municipal bonds held, each issued by one municipality (region)."""
    header = ["bond_id", "issuer", "sector", "region_id", "exposure_usd", "maturity_year"]
    rows = []
    sectors = sorted(SECTORS)
    for i in range(1, N_BONDS + 1):
        region = regions[int(rng.randint(len(regions)))]
        sector = sectors[int(rng.randint(len(sectors)))]
        exposure = int(round(float(rng.lognormal(15.0, 0.8)), -3))
        maturity = int(rng.randint(2026, 2046))
        issuer = f"{region['town']} {SECTORS[sector]}"
        region_id = str(region["region_id"])
        rows.append([f"MB-{i:04d}", issuer, sector, region_id, str(exposure), str(maturity)])
    return header, rows


def corrupt(tables: dict[str, Table]) -> dict[str, Table]:
    """A copy of the clean tables with the faults a failing gauge network produces."""
    rng = np.random.RandomState(SEED + 1)
    out = {name: (header, [list(row) for row in rows]) for name, (header, rows) in tables.items()}
    rain = out["rainfall"][1]
    picks = rng.choice(len(rain), size=13, replace=False)
    for n, index in enumerate(sorted(int(i) for i in picks)):
        if n < 8:
            rain[index][2] = ""  # gauge offline: no reading
        elif n < 11:
            rain[index][2] = f"{-float(rng.uniform(5.0, 40.0)):.1f}"  # negative rainfall
        else:
            rain[index][2] = "9999.0"  # the gauge's error code logged as a reading
    out["rainfall"] = (
        out["rainfall"][0],
        [row for row in rain if not (row[0] == "R07" and row[1] == "2022-06")],
    )
    elevation = out["elevation"][1]
    elevation[11][1] = "-999.0"  # survey sentinel for "unknown"
    elevation[18][2] = ""
    return out


def write_csv(path: Path, table: Table) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    header, rows = table
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def generate(root: Path) -> list[Path]:
    """Write the clean and corrupt data sets under `root`; return the files written."""
    rng = np.random.RandomState(SEED)
    regions = make_terrain(rng)
    rainfall, losses = make_rainfall_and_losses(rng, regions)
    tables = {
        "rainfall": rainfall,
        "elevation": make_elevation(regions),
        "portfolio": make_portfolio(rng, regions),
        "loss_events": losses,
    }
    written = []
    for folder, data in (("clean", tables), ("corrupt", corrupt(tables))):
        for name, table in data.items():
            path = root / folder / f"{name}.csv"
            write_csv(path, table)
            written.append(path)
    return written


def check(root: Path) -> int:
    """Regenerate into a temporary folder and compare with the files under `root`."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        differ = [
            p.relative_to(tmp)
            for p in fresh
            if not (root / p.relative_to(tmp)).is_file()
            or not filecmp.cmp(p, root / p.relative_to(tmp), shallow=False)
        ]
    for path in differ:
        print(f"differs: {path}", file=sys.stderr)
    print("all files reproduced byte for byte" if not differ else f"{len(differ)} files differ")
    return 1 if differ else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    root = Path(__file__).resolve().parent
    if args.check:
        return check(root)
    for path in generate(root):
        print(f"wrote {path.relative_to(root)} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
