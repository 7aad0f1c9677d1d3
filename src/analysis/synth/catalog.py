"""Fixed facts of the synthetic world: service mixes, volumes, rates; units come from the study.

The units, their names and sizes are the study's unit catalogue (studies/<name>/units.csv); in the
default study's catalogue school numbers and the placement of gerai/pustu are invented (the data set
is marked synthetic).
"""

from __future__ import annotations

import pandas as pd

UNIT_COLUMNS = ["unit_id", "unit_name", "unit_type", "opd", "kelurahan", "staff", "daily_tickets", "users_per_day"]
#: Sizes of a catalogue unit that leaves them empty, by unit type: (staff, daily tickets at full volume,
#: users per day). Medians of the default study's units of that type.
DEFAULT_SIZE = {"disdukcapil": (8, 60, 60), "kecamatan": (28, 40, 40), "kelurahan": (12, 25, 25),
                "puskesmas": (7, 0, 30), "school": (21, 0, 4)}


def units(study) -> pd.DataFrame:
    """The study's unit catalogue as the generator needs it (sizes filled by unit type where empty)."""
    cat = study.units
    out = cat[["unit_id", "unit_name", "unit_type", "opd", "kelurahan"]].copy()
    for i, col in enumerate(("staff", "daily_tickets", "users_per_day")):
        default = cat["unit_type"].map(lambda t: DEFAULT_SIZE.get(t, (10, 0, 10))[i])
        out[col] = cat[col].fillna(default).astype("int64")
    return out.reset_index(drop=True)


#: Services offered per ticketing unit type, with mix weights and mean service minutes.
SERVICE_MIX: dict[str, list[tuple[str, float, float]]] = {
    "disdukcapil": [("KTP-el", 0.30, 12), ("KK", 0.22, 15), ("Akta Kelahiran", 0.15, 18), ("Akta Kematian", 0.05, 15),
                    ("Akta Perkawinan", 0.03, 20), ("Surat Pindah", 0.07, 14), ("KIA", 0.08, 8),
                    ("Legalisir Dokumen", 0.06, 5), ("Perubahan Biodata", 0.04, 16)],
    "kecamatan": [("KTP-el", 0.30, 12), ("KK", 0.20, 15), ("Surat Pindah", 0.10, 14),
                  ("Surat Keterangan Ahli Waris", 0.15, 20), ("Legalisir Dokumen", 0.25, 5)],
    "kelurahan": [("Surat Pengantar", 0.45, 8), ("Surat Keterangan Domisili", 0.20, 10), ("SKTM", 0.20, 10),
                  ("Surat Keterangan Usaha", 0.15, 12)],
}
SKM_SERVICE_MIX = {"puskesmas": ["Pemeriksaan Kesehatan", "Imunisasi"], "school": ["Layanan Pendidikan"]}

#: Mean wait (minutes) before KPI management, by ticketing unit type.
BASE_WAIT = {"disdukcapil": 42.0, "kecamatan": 25.0, "kelurahan": 12.0}
#: Idul Fitri dates: service volume rises for 30 days after (Disdukcapil: 300 -> ~500 a day).
LEBARAN = {2022: "2022-05-02", 2023: "2023-04-22", 2024: "2024-04-10", 2025: "2025-03-31", 2026: "2026-03-20",
           2027: "2027-03-10", 2028: "2028-02-27", 2029: "2029-02-14", 2030: "2030-02-04"}
LEBARAN_SURGE = 1.6

#: Weekly cases per 10,000 catchment population, before KPI management.
DISEASE_RATE = {"diare_akut": 4.0, "ili": 7.0, "suspek_dbd": 0.8}
CATCHMENT = {"puskesmas": (24_000, 36_000), "pustu": (6_000, 10_000)}

COURSE_WEIGHTS = (0.3, 0.15, 0.25, 0.2, 0.1)

FIRST_NAMES = ("Ahmad", "Siti", "Muhammad", "Nur’aini", "Rina", "Dedi", "Yuliana", "Hendra", "Fitri", "Agus",
               "Dewi", "Rudi", "Sri", "Bambang", "Lestari", "Andi", "Maya", "Fajar", "Indah", "Rizky")
LAST_NAMES = ("Saputra", "Wijaya", "Lestari", "Pratama", "Hidayat", "Kurniawan", "Ma’ruf", "Anggraini",
              "Susanto", "Rahmawati", "Syahputra", "Oktaviani", "Firmansyah", "Handayani", "Gunawan")
