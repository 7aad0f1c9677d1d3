"""Fixed facts of the synthetic Plaju: units, staff sizes, service mixes, volumes.

Names follow the real pattern of offices in Kecamatan Plaju; school numbers and
the placement of gerai/pustu are invented (the data set is marked synthetic).
"""

from __future__ import annotations

from analysis.schemas import KELURAHAN

DUKCAPIL, KESEHATAN, PENDIDIKAN, KECAMATAN = (
    "Dinas Kependudukan dan Pencatatan Sipil", "Dinas Kesehatan", "Dinas Pendidikan", "Kecamatan Plaju")

#: (unit_id, name, unit_type, opd, kelurahan, staff, daily_tickets_at_full_volume, users_per_day)
_UNITS: list[tuple[str, str, str, str, str, int, int, int]] = [
    ("DUK01", "UPTD Disdukcapil Kecamatan Plaju", "disdukcapil", DUKCAPIL, "Plaju Ulu", 24, 300, 300),
    ("DUK02", "Gerai Dukcapil Talang Bubuk", "disdukcapil", DUKCAPIL, "Talang Bubuk", 8, 60, 60),
    ("DUK03", "Gerai Dukcapil Komperta", "disdukcapil", DUKCAPIL, "Komperta", 8, 60, 60),
    ("KEC01", "Kantor Camat Plaju", "kecamatan", KECAMATAN, "Plaju Ulu", 28, 40, 40),
]
_UNITS += [(f"KEL{i + 1:02d}", f"Kantor Lurah {k}", "kelurahan", KECAMATAN, k, 11 + (i % 3), 25, 25)
           for i, k in enumerate(KELURAHAN)]
_UNITS += [
    ("PKM01", "Puskesmas Plaju", "puskesmas", KESEHATAN, "Plaju Ulu", 45, 0, 140),
    ("PKM02", "Puskesmas Bagus Kuning", "puskesmas", KESEHATAN, "Bagus Kuning", 36, 0, 100),
    ("PKM03", "Puskesmas Talang Putri", "puskesmas", KESEHATAN, "Talang Putri", 34, 0, 90),
    ("PST01", "Pustu Plaju Darat", "puskesmas", KESEHATAN, "Plaju Darat", 7, 0, 30),
    ("PST02", "Pustu Plaju Ilir", "puskesmas", KESEHATAN, "Plaju Ilir", 6, 0, 25),
    ("PST03", "Pustu Komperta", "puskesmas", KESEHATAN, "Komperta", 7, 0, 30),
    ("PST04", "Pustu Talang Bubuk", "puskesmas", KESEHATAN, "Talang Bubuk", 6, 0, 25),
]
_SD = [(52, "Plaju Ulu"), (53, "Plaju Ulu"), (54, "Plaju Ilir"), (55, "Plaju Ilir"), (56, "Plaju Darat"),
       (57, "Plaju Darat"), (58, "Komperta"), (59, "Bagus Kuning"), (60, "Bagus Kuning"), (61, "Talang Bubuk"),
       (62, "Talang Putri"), (63, "Talang Putri")]
_SMP = [(10, "Plaju Ulu"), (14, "Plaju Ilir"), (30, "Bagus Kuning"), (43, "Talang Putri")]
_UNITS += [(f"SCH{i + 1:02d}", f"SD Negeri {n} Palembang", "school", PENDIDIKAN, k, 16 + (i * 5) % 9, 0, 4)
           for i, (n, k) in enumerate(_SD)]
_UNITS += [(f"SCH{i + 13:02d}", f"SMP Negeri {n} Palembang", "school", PENDIDIKAN, k, 32 + (i * 3) % 8, 0, 6)
           for i, (n, k) in enumerate(_SMP)]

UNIT_COLUMNS = ["unit_id", "unit_name", "unit_type", "opd", "kelurahan", "staff", "daily_tickets", "users_per_day"]
UNIT_ROWS = _UNITS

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

COURSE_TITLES = {
    "e_government": "Pelatihan Aplikasi e-Government (SPBE)",
    "project_management": "Pelatihan Manajemen Proyek",
    "service_excellence": "Pelatihan Pelayanan Prima",
    "performance_management": "Bimtek Manajemen Kinerja (e-Kinerja)",
    "data_analysis": "Pelatihan Analisis Data",
}
COURSE_WEIGHTS = (0.3, 0.15, 0.25, 0.2, 0.1)

FIRST_NAMES = ("Ahmad", "Siti", "Muhammad", "Nur’aini", "Rina", "Dedi", "Yuliana", "Hendra", "Fitri", "Agus",
               "Dewi", "Rudi", "Sri", "Bambang", "Lestari", "Andi", "Maya", "Fajar", "Indah", "Rizky")
LAST_NAMES = ("Saputra", "Wijaya", "Lestari", "Pratama", "Hidayat", "Kurniawan", "Ma’ruf", "Anggraini",
              "Susanto", "Rahmawati", "Syahputra", "Oktaviani", "Firmansyah", "Handayani", "Gunawan")
