"""What cleaning accepts: file patterns, header aliases and label aliases per table.

Headers and labels are matched after :func:`analysis.clean.parse.norm`-style
normalisation, so ``Jenis Kelamin``, ``jenis_kelamin`` and ``JENIS KELAMIN``
are one header. Study vocabularies (services, courses, ...) come from the study; the spellings
here are matched only to values the study lists.
"""

from __future__ import annotations

import re

from analysis.schemas import EDUCATION, GOLONGAN_PNS, GOLONGAN_PPPK, OCCUPATION, PREDIKAT


def key(s: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", str(s).lower()).strip()


#: (glob relative to raw_dir, table), matched case-insensitively; the extension must be a READABLE_SUFFIX.
FILE_PATTERNS: list[tuple[str, str]] = [
    ("master/daftar_unit.*", "units"),
    ("master/jadwal_kpi.*", "adoption"),
    ("simpeg/pegawai*.*", "asn"),
    ("ekinerja/skp_*.*", "skp"),
    ("diklat/*.*", "training"),
    ("antrian/*.*", "tickets"),
    ("skm/skm_*.*", "skm"),
    ("skm/rekap_layanan*.*", "service_volume"),
    ("skdr/*.*", "health"),
    ("sekolah/*.*", "schools"),
]
#: Order matters: names and NIPs are resolved against units and the roster.
TABLE_ORDER = ["units", "adoption", "asn", "skp", "training", "tickets", "skm", "service_volume", "health", "schools"]
READABLE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls")

# field -> accepted header spellings; fields marked optional may be absent
HEADERS: dict[str, dict[str, tuple[str, ...]]] = {
    "units": {"code": ("kode unit", "kode", "unit id"), "name": ("nama unit", "nama unit layanan", "unit"),
              "type": ("jenis unit", "jenis", "tipe unit"), "opd": ("opd", "perangkat daerah"),
              "kel": ("kelurahan",), "dist": ("jarak ke kantor camat km", "jarak km", "jarak")},
    "adoption": {"name": ("nama unit", "unit kerja", "unit"),
                 "start": ("bulan mulai kpi", "bulan mulai", "mulai penerapan kpi")},
    "asn": {"nip": ("nip", "nip ni pppk", "ni pppk"), "nama": ("nama", "nama pegawai"),
            "status": ("status", "status kepegawaian"), "gol": ("golongan", "gol ruang", "pangkat golongan"),
            "unit": ("unit kerja", "unit"), "tmt": ("tmt unit", "tmt penempatan", "tmt")},
    "skp": {"nip": ("nip", "nip pegawai"), "nama": ("nama pegawai", "nama"), "unit": ("unit kerja", "satuan kerja"),
            "periode": ("periode", "bulan penilaian", "bulan"),
            "hasil": ("rating hasil kerja", "hasil kerja"), "perilaku": ("rating perilaku kerja", "rating perilaku",
                                                                         "perilaku kerja"),
            "predikat": ("predikat", "predikat kinerja"), "atasan": ("nip atasan", "nip pejabat penilai"),
            "kirim": ("tanggal kirim", "tgl pengajuan", "tanggal pengajuan")},
    "training": {"nip": ("nip", "nip peserta"), "nama": ("nama", "nama peserta"),
                 "diklat": ("nama diklat", "jenis pelatihan", "pelatihan"), "mulai": ("tanggal mulai", "tgl mulai", "mulai"),
                 "selesai": ("tanggal selesai", "tgl selesai", "selesai"), "jp": ("jp", "jumlah jp",
                                                                                   "jumlah jam pelajaran")},
    "tickets": {"no": ("no antrian", "nomor antrian", "nomor tiket", "no tiket"),
                "unit": ("unit layanan", "loket", "unit"), "tanggal": ("tanggal", "tgl kunjungan"),
                "layanan": ("jenis layanan", "layanan"), "jalur": ("jalur", "kanal pendaftaran", "kanal"),
                "ambil": ("jam ambil", "waktu ambil tiket"), "panggil": ("jam panggil", "waktu dipanggil"),
                "mulai": ("jam mulai layanan", "jam mulai", "waktu mulai"),
                "selesai": ("jam selesai", "waktu selesai")},
    "skm": {"id": ("id responden", "no kuesioner"), "unit": ("unit layanan", "unit"),
            "tanggal": ("tanggal survei", "tanggal"), "umur": ("umur", "usia"), "jk": ("jenis kelamin", "l p"),
            "pendidikan": ("pendidikan", "pendidikan terakhir"), "pekerjaan": ("pekerjaan", "pekerjaan utama"),
            "layanan": ("jenis layanan", "layanan yang diterima", "layanan"),
            **{f"u{i}": (f"u{i}", f"{n} u{i}") for i, n in enumerate(
                ("persyaratan", "prosedur", "waktu pelayanan", "biaya tarif", "produk layanan", "kompetensi pelaksana",
                 "perilaku pelaksana", "penanganan pengaduan", "sarana dan prasarana"), start=1)}},
    "service_volume": {"unit": ("unit layanan", "unit"), "tw": ("triwulan", "periode"),
                       "n": ("jumlah pengguna layanan", "jumlah pengguna", "jml pengguna")},
    "health": {"unit": ("puskesmas", "nama puskesmas"), "minggu": ("minggu mulai", "tanggal awal minggu"),
               "penyakit": ("penyakit", "nama penyakit"), "kasus": ("jumlah kasus", "kasus"),
               "pop": ("jumlah penduduk", "penduduk wilayah kerja", "penduduk")},
    "schools": {"unit": ("nama sekolah", "satuan pendidikan", "sekolah"),
                "sem": ("semester", "semester tahun ajaran"), "nilai": ("nilai asesmen", "skor asesmen"),
                "siswa": ("jumlah siswa", "siswa dinilai")},
}
OPTIONAL = {"asn": {"nama", "status"}, "skp": {"nama", "predikat"}, "training": {"nama"}}


def _aliases(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {key(a): canon for canon, alist in pairs.items() for a in (canon, *alist)}


CHANNEL = _aliases({"online": ("daring", "booking online", "online booking"),
                    "walk_in": ("datang langsung", "walk in", "walkin", "luring", "offline", "langsung")})
SEX = _aliases({"L": ("laki laki", "laki", "pria", "male", "lk"), "P": ("perempuan", "wanita", "female", "pr")})
EDUCATION_A = _aliases({"SD": ("sd sederajat", "sekolah dasar"), "SMP": ("sltp", "smp sederajat"),
                        "SMA": ("slta", "sma smk", "smk", "sma sederajat"), "D1-D3": ("diploma", "d1", "d2", "d3"),
                        "D4/S1": ("s1", "sarjana", "d4"), "S2/S3": ("s2", "s3", "pascasarjana")})
assert set(EDUCATION_A.values()) == set(EDUCATION)
OCCUPATION_A = _aliases({"PNS/TNI/Polri": ("pns", "asn", "tni", "polri"),
                         "Pegawai Swasta": ("karyawan swasta", "swasta"), "Wiraswasta": ("wirausaha", "pedagang"),
                         "Pelajar/Mahasiswa": ("pelajar", "mahasiswa"), "Ibu Rumah Tangga": ("irt",),
                         "Lainnya": ("lain lain", "lainnya")})
assert set(OCCUPATION_A.values()) == set(OCCUPATION)
RATING = _aliases({"di_atas": ("di atas ekspektasi", "diatas ekspektasi", "di atas", "diatas"),
                   "sesuai": ("sesuai ekspektasi", "sesuai"),
                   "di_bawah": ("di bawah ekspektasi", "dibawah ekspektasi", "di bawah", "dibawah")})
PREDIKAT_A = _aliases({p: () for p in PREDIKAT})
#: Export spellings of study-vocabulary labels (canonical -> spellings); a label the study does not
#: list is dropped, so these never add a value to a study's vocabulary.
SERVICE_SPELLINGS = {"KTP-el": ("ktp elektronik", "e ktp", "ektp", "ktp el", "ktp"), "KK": ("kartu keluarga",),
                     "Akta Kelahiran": ("akte kelahiran",), "Akta Kematian": ("akte kematian",),
                     "Akta Perkawinan": ("akte perkawinan",), "KIA": ("kartu identitas anak",)}
TEST_SERVICES = {"tes sistem", "test", "tes", "testing", "uji coba"}
COURSE_SPELLINGS = {"e_government": ("pelatihan aplikasi e government spbe", "aplikasi e government", "spbe"),
                    "project_management": ("pelatihan manajemen proyek", "manajemen proyek"),
                    "service_excellence": ("pelatihan pelayanan prima", "pelayanan prima"),
                    "performance_management": ("bimtek manajemen kinerja e kinerja", "manajemen kinerja"),
                    "data_analysis": ("pelatihan analisis data", "analisis data")}
DISEASE_SPELLINGS = {"diare_akut": ("diare akut", "diare"), "ili": ("influenza like illness",),
                     "suspek_dbd": ("suspek dbd", "suspek demam berdarah dengue", "dbd")}
UNIT_TYPE_SPELLINGS = {"disdukcapil": ("dukcapil",), "kecamatan": ("kantor camat",), "kelurahan": ("kantor lurah",),
                       "puskesmas": ("pustu", "puskesmas pembantu"), "school": ("sekolah", "sd", "smp")}
OPD_SPELLINGS = {"Dinas Kependudukan dan Pencatatan Sipil": ("disdukcapil",)}
GOLONGAN = {key(g): g for g in GOLONGAN_PNS + GOLONGAN_PPPK} | {key(g.replace("/", "")): g for g in GOLONGAN_PNS}


def _study_aliases(values, spellings: dict) -> dict[str, str]:
    return _aliases({v: tuple(spellings.get(v, ())) for v in values})


def study_aliases(study) -> dict[str, dict[str, str]]:
    """Label aliases of the study's vocabularies: ``{vocabulary: {normalised label: canonical}}``."""
    courses = {c: (t, *COURSE_SPELLINGS.get(c, ())) for c, t in study.courses.items()}
    return {"service": _study_aliases(study.services, SERVICE_SPELLINGS),
            "skm_service": _study_aliases(study.all_skm_services, SERVICE_SPELLINGS),
            "course": _study_aliases(study.courses, courses),
            "disease": _study_aliases(study.diseases, DISEASE_SPELLINGS),
            "unit_type": _study_aliases(study.unit_types, UNIT_TYPE_SPELLINGS),
            "opd": _study_aliases(study.opds, OPD_SPELLINGS)}


_UNIT_PHRASES = ((r"\bpuskesmas pembantu\b", "pustu"), (r"\bsd n\b", "sd negeri"), (r"\bsmp n\b", "smp negeri"))
_UNIT_TOKENS = {"kel": "kelurahan", "lurah": "kelurahan", "kec": "kecamatan", "camat": "kecamatan", "pkm": "puskesmas",
                "pusk": "puskesmas", "sdn": "sd negeri", "smpn": "smp negeri", "dukcapil": "disdukcapil"}
_UNIT_DROP = {"kantor", "kota"}


def unit_key(name: str, drop: frozenset[str] = frozenset()) -> str:
    """Normalise a unit name so the spellings of one office coincide (``Kel. X`` = ``Kantor Lurah X``).

    ``drop``: further words to ignore, e.g. the study's city (``SD Negeri 1 <city>`` = ``SDN 1``).
    """
    s = key(name)
    for pat, rep in _UNIT_PHRASES:
        s = re.sub(pat, rep, s)
    toks = [_UNIT_TOKENS.get(t, t) for t in s.split() if t not in _UNIT_DROP and t not in drop]
    return " ".join(toks)
