"""Measures against hand-computed cases (PermenPANRB 14/2017, 6/2022, Krejcie-Morgan)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis import measures as M


@pytest.mark.parametrize("n, s", [(10, 10), (20, 19), (50, 44), (100, 80), (500, 217), (1000, 278),
                                  (10_000, 370), (1_000_000, 384)])
def test_krejcie_morgan_table(n, s):
    assert M.krejcie_morgan(n) == s


def test_krejcie_morgan_vectorised():
    assert list(M.krejcie_morgan([100, 1000])) == [80, 278]


def test_ikm_from_nrr_hand_case():
    # NRR all 3.0 -> IKM 75; the 25-100 bounds
    assert M.ikm_from_nrr([3.0] * 9) == pytest.approx(75.0)
    assert M.ikm_from_nrr([1.0] * 9) == pytest.approx(25.0)
    assert M.ikm_from_nrr([4.0] * 9) == pytest.approx(100.0)
    nrr = [3.2, 3.1, 2.9, 3.8, 3.0, 3.3, 3.4, 2.7, 3.1]  # sum 28.5 -> 28.5/9*25
    assert M.ikm_from_nrr(nrr) == pytest.approx(79.1666667)


@pytest.mark.parametrize("ikm, mutu, kinerja", [
    (25.0, "D", "Tidak Baik"), (64.99, "D", "Tidak Baik"), (65.0, "C", "Kurang Baik"), (76.60, "C", "Kurang Baik"),
    (76.605, "C", "Kurang Baik"), (76.61, "B", "Baik"), (88.30, "B", "Baik"), (88.305, "B", "Baik"),
    (88.31, "A", "Sangat Baik"), (100.0, "A", "Sangat Baik")])
def test_mutu_half_open_bands(ikm, mutu, kinerja):
    assert M.mutu(ikm) == mutu
    assert M.kinerja(M.mutu(ikm)) == kinerja


def test_ikm_table_hand_case():
    rows = [[4] * 9, [3] * 9, [2] * 9, [3, 3, 3, 3, 3, 3, 3, 3, 4]]
    df = pd.DataFrame(rows, columns=[f"u{i}" for i in range(1, 10)]).assign(unit="A")
    pop = pd.Series([100], index=pd.Index(["A"], name="unit"))
    t = M.ikm_table(df, ["unit"], population=pop).iloc[0]
    assert t["n"] == 4 and t["required_n"] == 80 and not t["meets_sample"]
    assert t["nrr_u1"] == pytest.approx(3.0) and t["nrr_u9"] == pytest.approx(3.25)
    assert t["ikm"] == pytest.approx((3.0 * 8 + 3.25) / 9 * 25)  # 75.694
    assert t["mutu"] == "C" and t["kinerja"] == "Kurang Baik"
    assert M.respondent_ikm(df).tolist() == pytest.approx([100.0, 75.0, 50.0, 77.7777778])


def test_queue_times_and_one_hour_share():
    issued = pd.to_datetime(["2024-03-12 08:00:00", "2024-03-12 08:10:00", "2024-03-12 08:20:00"])
    called = pd.to_datetime(["2024-03-12 08:30:00", "2024-03-12 08:40:30", "2024-03-12 09:50:00"])
    finished = pd.to_datetime(["2024-03-12 08:50:00", "2024-03-12 09:10:00", "2024-03-12 10:00:00"])
    assert M.waiting_minutes(issued, called).tolist() == [30.0, 30.5, 90.0]
    assert M.service_minutes(called, finished).tolist() == [20.0, 29.5, 10.0]
    # totals 50, 60 (exactly one hour counts), 100 minutes; the third is not priority
    assert M.within_target(issued, finished, [True, True, False]) == 1.0
    assert M.within_target(issued, finished, [True, True, True]) == pytest.approx(2 / 3)
    assert np.isnan(M.within_target(issued, finished, [False] * 3))


def test_skp_matrix_all_cells():
    expect = {("di_atas", "di_atas"): "Sangat Baik", ("di_atas", "sesuai"): "Baik", ("di_atas", "di_bawah"): "Kurang",
              ("sesuai", "di_atas"): "Baik", ("sesuai", "sesuai"): "Baik", ("sesuai", "di_bawah"): "Kurang",
              ("di_bawah", "di_atas"): "Butuh Perbaikan", ("di_bawah", "sesuai"): "Butuh Perbaikan",
              ("di_bawah", "di_bawah"): "Sangat Kurang"}
    h, p = zip(*expect)
    assert list(M.skp_predikat(h, p)) == list(expect.values())
    other = dict(M.SKP_MATRIX) | {("sesuai", "sesuai"): "Cukup"}
    assert M.skp_predikat(["sesuai"], ["sesuai"], matrix=other)[0] == "Cukup"


def test_predikat_shares():
    skp = pd.DataFrame({"unit": ["A"] * 4 + ["B"] * 2,
                        "predikat": ["Sangat Baik", "Baik", "Kurang", "Baik", "Butuh Perbaikan", "Kurang"]})
    s = M.predikat_shares(skp, ["unit"]).set_index("unit")
    assert s.loc["A", "good_share"] == 0.75 and s.loc["B", "good_share"] == 0.0
    assert s.loc["A", "Baik"] == 0.5


def test_training_coverage_and_incidence():
    asn = pd.DataFrame({"asn_id": ["a", "b", "c", "d"], "unit_id": ["U", "U", "U", "V"],
                        "active_from": pd.to_datetime(["2020-01-01", "2020-01-01", "2024-06-01", "2020-01-01"])})
    tr = pd.DataFrame({"asn_id": ["a", "c", "d"], "start_date": pd.to_datetime(["2024-03-05", "2024-06-10",
                                                                                 "2024-01-01"])})
    assert M.training_coverage(asn, tr, "U", "2024-03-31") == 0.5  # a of {a, b}
    assert M.training_coverage(asn, tr, "U", "2024-06-30") == pytest.approx(2 / 3)  # a, c of {a, b, c}
    assert np.isnan(M.training_coverage(asn, tr, "W", "2024-06-30"))
    assert M.incidence_per_10k([5, 0], [25_000, 8_000]).tolist() == [2.0, 0.0]
