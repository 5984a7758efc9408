"""Generate daily sensor readings for three plants, with a few faults planted in them.

Writes `readings/<plant>.csv` next to this script, one file per plant, with columns
`plant_id, machine_id, date, vibration_mm_s, temperature_c, pressure_bar`: three machines per
plant, one reading per machine and day from 2024-01-01 to 2024-04-30.

Planted faults (what the pipeline should find):
    riverside  none (a healthy plant)
    hillcrest  pump HC-2: bearing wear, vibration climbing from 2024-03-20 onwards
    lakeside   press LK-1: overheating on 2024-04-08..10; compressor LK-3: pressure drop 2024-04-22

Standard library only; `random.Random(SEED)` gives the same numbers on every Python 3 version,
and values are written with fixed formats, so the committed files are reproduced byte for byte.
`python generate.py --check` compares a fresh run with them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
from pathlib import Path

SEED = 7
START, DAYS = dt.date(2024, 1, 1), 121
PLANTS = {
    "riverside": ["RV-1", "RV-2", "RV-3"],
    "hillcrest": ["HC-1", "HC-2", "HC-3"],
    "lakeside": ["LK-1", "LK-2", "LK-3"],
}
HEADER = ["plant_id", "machine_id", "date", "vibration_mm_s", "temperature_c", "pressure_bar"]


def reading(rng: random.Random, machine: str, day: dt.date) -> tuple[float, float, float]:
    """One day's vibration, temperature and pressure for a machine, faults included."""
    vibration = rng.gauss(2.0, 0.15)
    temperature = rng.gauss(65.0, 1.2)
    pressure = rng.gauss(6.0, 0.08)
    if machine == "HC-2" and day >= dt.date(2024, 3, 20):
        vibration += 0.12 * (day - dt.date(2024, 3, 20)).days
    if machine == "LK-1" and dt.date(2024, 4, 8) <= day <= dt.date(2024, 4, 10):
        temperature += 12.0
    if machine == "LK-3" and day == dt.date(2024, 4, 22):
        pressure -= 1.5
    return vibration, temperature, pressure


def render(plant: str, machines: list[str], rng: random.Random) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for offset in range(DAYS):
        day = START + dt.timedelta(days=offset)
        for machine in machines:
            vibration, temperature, pressure = reading(rng, machine, day)
            values = [f"{vibration:.3f}", f"{temperature:.2f}", f"{pressure:.3f}"]
            writer.writerow([plant, machine, day.isoformat(), *values])
    return out.getvalue()


def generate() -> dict[str, str]:
    """File name → content, for every plant."""
    rng = random.Random(SEED)  # noqa: S311 - synthetic data, not security
    return {f"{plant}.csv": render(plant, machines, rng) for plant, machines in PLANTS.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    folder = Path(__file__).resolve().parent / "readings"
    files = generate()
    if args.check:
        differ = [
            name
            for name, text in files.items()
            if not (folder / name).is_file() or (folder / name).read_text("utf-8") != text
        ]
        for name in differ:
            print(f"differs: readings/{name}", file=sys.stderr)
        print("all files reproduced byte for byte" if not differ else f"{len(differ)} differ")
        return 1 if differ else 0
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8", newline="")
        print(f"wrote readings/{name} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
