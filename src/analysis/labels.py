"""Names, units and axis labels of the outcomes, in Bahasa Indonesia and English.

Figures and result tables take their labels from here so that one run's exhibits
speak the brief's language (``RunParams.language``).
"""

from __future__ import annotations

OUTCOME_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    # yname: {language: (label, unit)}
    "ikm": {"id": ("Indeks Kepuasan Masyarakat (IKM)", "poin"), "en": ("Citizen satisfaction index (IKM)", "points")},
    "wait_minutes": {"id": ("Waktu tunggu", "menit"), "en": ("Waiting time", "minutes")},
    "service_minutes": {"id": ("Lama pelayanan", "menit"), "en": ("Service time", "minutes")},
    "share_within_1h": {
        "id": ("Layanan prioritas selesai dalam 1 jam", "proporsi"),
        "en": ("Priority services finished within 1 hour", "share"),
    },
    "online_share": {"id": ("Porsi antrean daring", "proporsi"), "en": ("Online queue share", "share")},
    "skp_good_share": {
        "id": ("Porsi predikat SKP Baik atau Sangat Baik", "proporsi"),
        "en": ("Share of SKP ratings Good or Very Good", "share"),
    },
    "training_coverage": {"id": ("Cakupan pelatihan ASN", "proporsi"), "en": ("ASN training coverage", "share")},
    "assessment_score": {"id": ("Skor asesmen sekolah", "poin"), "en": ("School assessment score", "points")},
    "incidence_per_10k": {
        "id": ("Insiden penyakit menular per 10.000 penduduk", "kasus per 10.000"),
        "en": ("Communicable-disease incidence per 10,000", "cases per 10,000"),
    },
}

AXIS = {
    "id": {
        "event_time": "Bulan sejak penerapan KPI",
        "event_time_week": "Minggu sejak penerapan KPI",
        "month": "Bulan",
        "period": "Bulan ke-",
        "week": "Minggu ke-",
        "effect": "Perkiraan dampak",
        "unit": "Unit layanan",
        "cohort": "Kohort penerapan",
        "never": "Belum menerapkan",
        "adopted": "Menerapkan KPI",
        "not_adopted": "Belum menerapkan KPI",
        "wait": "Waktu tunggu (menit)",
        "channel_online": "Daring",
        "channel_walkin": "Datang langsung",
        "specification": "Spesifikasi",
        "bound": "Batas (M)",
        "estimate_ci": "Perkiraan dan selang kepercayaan 95%",
    },
    "en": {
        "event_time": "Months since KPI adoption",
        "event_time_week": "Weeks since KPI adoption",
        "month": "Month",
        "period": "Month number",
        "week": "Week number",
        "effect": "Estimated effect",
        "unit": "Service unit",
        "cohort": "Adoption cohort",
        "never": "Not yet adopted",
        "adopted": "KPI adopted",
        "not_adopted": "KPI not adopted",
        "wait": "Waiting time (minutes)",
        "channel_online": "Online",
        "channel_walkin": "Walk-in",
        "specification": "Specification",
        "bound": "Bound (M)",
        "estimate_ci": "Estimate and 95% confidence interval",
    },
}


def outcome_label(yname: str, language: str = "id", with_unit: bool = False) -> str:
    label, unit = OUTCOME_LABELS[yname][language]
    return f"{label} ({unit})" if with_unit else label


def outcome_unit(yname: str, language: str = "id") -> str:
    return OUTCOME_LABELS[yname][language][1]


def axis(key: str, language: str = "id") -> str:
    return AXIS[language][key]
