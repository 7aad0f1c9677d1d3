"""Simulate the study's canonical tables under KPI adoption and under no adoption.

Every random number is drawn once (common random numbers); outcomes are then a
deterministic function of the draws and the treatment exposure. Building the
tables twice, with the observed exposure and with zero exposure, gives each
unit's untreated potential outcome, so the true ATT(g,t) is the exact sample
effect on the panel outcome (see :mod:`analysis.synth.truth`).

Tables here are canonical except that employees carry their raw ``nip`` and a
``name`` (pseudonymised / dropped before the clean truth is written).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import measures
from analysis import study as St
from analysis.schemas import EDUCATION, GOLONGAN_PNS, OCCUPATION, TS
from analysis.synth import catalog as C
from analysis.synth import waves as W
from analysis.synth.config import SynthConfig


@dataclass
class Calendar:
    start: pd.Timestamp
    months: pd.DatetimeIndex  # first day of each month, period = position + 1
    days: pd.DatetimeIndex  # working days (Mon-Fri)
    weeks: pd.DatetimeIndex  # epi-week starts (Sundays) whose week lies inside the window

    @classmethod
    def build(cls, start: str, n_months: int) -> "Calendar":
        s = pd.Timestamp(start + "-01") if len(start) == 7 else pd.Timestamp(start).replace(day=1)
        months = pd.date_range(s, periods=n_months, freq="MS")
        end = months[-1] + pd.offsets.MonthEnd(0)
        days = pd.bdate_range(s, end)
        first_sun = s + pd.Timedelta(days=(6 - s.day_of_week) % 7)
        weeks = pd.date_range(first_sun, end - pd.Timedelta(days=6), freq="7D")
        return cls(s, months, days, weeks)

    def period_of(self, dates) -> np.ndarray:
        d = pd.DatetimeIndex(dates)
        return ((d.year - self.start.year) * 12 + d.month - self.start.month + 1).to_numpy()


@dataclass
class Design:
    units: pd.DataFrame  # catalog columns + distance_km, cohort index, first_treat, pretrend loading
    cal: Calendar
    cohorts: list[int]
    cfg: SynthConfig

    def exposure(self, unit_idx: np.ndarray, period: np.ndarray) -> np.ndarray:
        """Effect intensity of unit(s) in (possibly fractional) month ``period``: 0 before the effect starts."""
        g = self.units["first_treat"].to_numpy()[unit_idx]
        mult = self.units["cohort_mult"].to_numpy()[unit_idx]
        e = period - (g - self.cfg.anticipation)
        on = (g > 0) & (e >= 0)
        ramp = 1 - np.exp(-(np.maximum(e, 0) + 1) / self.cfg.ramp_months)
        return np.where(on, self.cfg.effect_scale * mult * ramp, 0.0)

    def trend(self, unit_idx: np.ndarray, period: np.ndarray) -> np.ndarray:
        """Differential untreated trend (years since start x loading), 0 under parallel trends."""
        return self.units["pretrend"].to_numpy()[unit_idx] * (period - 1) / 12.0


def _fmt_round(x: np.ndarray, decimals: int) -> np.ndarray:
    """Round via decimal text so a value survives CSV (and decimal commas) bit-for-bit."""
    return np.array([float(f"{v:.{decimals}f}") for v in np.asarray(x, dtype="float64")])


def make_design(cfg: SynthConfig, rng: np.random.Generator) -> Design:
    cal = Calendar.build(cfg.start, cfg.months)
    study = St.load(cfg.study)
    units = C.units(study)
    units["distance_km"] = _fmt_round(rng.uniform(0.3, 6.5, len(units)), 1)  # drawn for all: one random stream
    given = study.units["distance_km"].to_numpy()
    units["distance_km"] = np.where(np.isnan(given), units["distance_km"], given)
    cohorts = sorted({int(round(f * cfg.months)) + 1 for f in cfg.cohort_fractions})
    cohorts = [c for c in cohorts if 2 <= c <= cfg.months]
    stratum = units["unit_type"].map({"disdukcapil": "civil", "kecamatan": "civil", "kelurahan": "civil",
                                      "puskesmas": "health", "school": "school"})
    if study.grouping == "kecamatan":  # a city adopts kecamatan by kecamatan (analysis.synth.waves)
        wave, first_treat = W.by_area(units["kelurahan"].map(study.group_of), cohorts, cfg.never_share,
                                      cfg.months, rng)
    else:  # units adopt one by one, cohorts dealt within unit-type strata
        first_treat = np.zeros(len(units), dtype="int64")
        for s in ("civil", "health", "school"):
            idx = np.flatnonzero(stratum.to_numpy() == s)
            idx = idx[rng.permutation(len(idx))]
            n_never = max(1, int(round(cfg.never_share * len(idx))))
            for j, u in enumerate(idx[n_never:]):
                first_treat[u] = cohorts[j % len(cohorts)]
        wave = first_treat
    units["first_treat"] = first_treat
    k = {g: i + 1 for i, g in enumerate(cohorts)}
    mults = np.linspace(1.3, 0.6, len(cohorts)) if len(cohorts) > 1 else np.array([1.0])
    units["cohort_mult"] = [mults[k[g] - 1] if g else 0.0 for g in wave]
    units["pretrend"] = [cfg.pretrend_violation * k[g] / len(cohorts) if g else 0.0 for g in wave]
    return Design(units, cal, cohorts, cfg)


# --------------------------------------------------------------------------- roster
def _nip(birth: pd.Timestamp, mid: str, sex: int, seq: int) -> str:
    return f"{birth:%Y%m%d}{mid}{sex}{seq:03d}"


def make_roster(d: Design, rng: np.random.Generator) -> pd.DataFrame:
    rows, seen = [], set()
    start = d.cal.start
    for u, unit in d.units.iterrows():
        pppk_p = 0.35 if unit["unit_type"] in ("school", "puskesmas") else 0.15
        female_p = 0.65 if unit["unit_type"] in ("school", "puskesmas") else 0.5
        for j in range(int(unit["staff"])):
            head = j == 0
            joiner = (not head) and rng.random() < 0.1
            pppk = (not head) and (joiner or rng.random() < pppk_p)
            sex = 2 if rng.random() < female_p else 1
            by = int(rng.integers(1975, 2000)) if pppk else int(rng.integers(1966, 1997))
            birth = pd.Timestamp(year=by, month=int(rng.integers(1, 13)), day=int(rng.integers(1, 29)))
            if joiner:
                active_from = d.cal.months[int(rng.integers(1, len(d.cal.months)))]
            else:
                active_from = (start - pd.DateOffset(months=int(rng.integers(1, 120)))).replace(day=1)
            if pppk:
                year = active_from.year if joiner else int(rng.integers(2021, max(2022, start.year) + 1))
                mid = f"{year}2{int(rng.integers(1, 3))}"
                gol = ("V", "VII", "IX", "X")[int(rng.integers(0, 4))]
            else:
                ty = min(by + int(rng.integers(22, 31)), start.year - 1)
                mid = f"{ty}{int(rng.integers(1, 13)):02d}"
                gi = 4 + (start.year - ty) // 4 + int(rng.integers(0, 3)) + (6 if head else 0)
                gol = GOLONGAN_PNS[min(gi, len(GOLONGAN_PNS) - 1)]
            while True:
                nip = _nip(birth, mid, sex, int(rng.integers(1, 1000)))
                if nip not in seen:
                    seen.add(nip)
                    break
            name = f"{C.FIRST_NAMES[int(rng.integers(len(C.FIRST_NAMES)))]} " \
                   f"{C.LAST_NAMES[int(rng.integers(len(C.LAST_NAMES)))]}"
            rows.append((nip, name, "PPPK" if pppk else "PNS", "L" if sex == 1 else "P", gol, unit["unit_id"], u,
                         active_from, head))
    roster = pd.DataFrame(rows, columns=["nip", "name", "status", "sex", "golongan", "unit_id", "unit_idx",
                                         "active_from", "head"])
    roster["active_from"] = roster["active_from"].astype(TS)
    # supervisors: unit head for staff; for heads, the OPD head (an NIP outside the roster)
    opd_heads = {}
    for opd in sorted(d.units["opd"].unique()):
        b = pd.Timestamp(year=int(rng.integers(1966, 1975)), month=int(rng.integers(1, 13)), day=int(rng.integers(1, 29)))
        opd_heads[opd] = _nip(b, f"{b.year + 25}03", 1, int(rng.integers(1, 1000)))
    head_nip = roster[roster["head"]].set_index("unit_id")["nip"]
    opd_of = d.units.set_index("unit_id")["opd"]
    roster["supervisor_nip"] = np.where(roster["head"], roster["unit_id"].map(opd_of).map(opd_heads),
                                        roster["unit_id"].map(head_nip))
    return roster


# --------------------------------------------------------------------------- draws
@dataclass
class Draws:
    """Every random quantity, drawn once and shared by both potential-outcome worlds."""

    skp: pd.DataFrame
    tickets: pd.DataFrame
    skm: pd.DataFrame
    volume: pd.DataFrame
    health: pd.DataFrame
    schools: pd.DataFrame
    unit_fx: pd.DataFrame


def make_draws(d: Design, roster: pd.DataFrame, rng: np.random.Generator) -> Draws:
    cal, units, cfg = d.cal, d.units, d.cfg
    nu, nm = len(units), len(cal.months)
    unit_fx = pd.DataFrame({
        "skp": rng.normal(0, 0.3, nu), "wait": np.exp(rng.normal(0, 0.2, nu)), "online": rng.normal(0, 0.4, nu),
        "skm": rng.normal(0, 0.15, nu), "health": np.exp(rng.normal(0, 0.25, nu)), "school": rng.normal(70, 6, nu),
        "students": rng.integers(150, 450, nu) * np.where(units["unit_name"].str.startswith("SMP"), 2, 1),
    })
    # SKP: employee x active month
    person = rng.normal(0, 0.6, len(roster))
    emp, per = np.meshgrid(np.arange(len(roster)), np.arange(1, nm + 1), indexing="ij")
    emp, per = emp.ravel(), per.ravel()
    active = cal.months[per - 1].to_numpy() >= roster["active_from"].to_numpy()[emp]
    emp, per = emp[active], per[active]
    skp = pd.DataFrame({"emp": emp, "period": per, "person": person[emp], "n1": rng.normal(0, 0.7, len(emp)),
                        "n2": rng.normal(0, 0.7, len(emp)), "lag": rng.integers(1, 26, len(emp)),
                        "u_train": rng.random(len(emp)), "u_course": rng.random(len(emp)),
                        "train_day": rng.integers(0, 20, len(emp)), "train_len": rng.integers(1, 6, len(emp))})
    # tickets: Poisson volume per ticketing unit and working day
    tk_units = np.flatnonzero(units["daily_tickets"].to_numpy() > 0)
    days = cal.days
    surge = np.ones(len(days))
    for y, dt in C.LEBARAN.items():
        lb = pd.Timestamp(dt)
        surge[(days > lb) & (days <= lb + pd.Timedelta(days=30))] = C.LEBARAN_SURGE
    lam = np.outer(units["daily_tickets"].to_numpy()[tk_units] * cfg.scale * 0.1, surge)
    counts = rng.poisson(lam)
    ui = np.repeat(np.repeat(tk_units, len(days)), counts.ravel())
    di = np.repeat(np.tile(np.arange(len(days)), len(tk_units)), counts.ravel())
    n = len(ui)
    tickets = pd.DataFrame({"unit_idx": ui, "day_idx": di, "issue_s": rng.integers(0, 7 * 3600, n),
                            "u_service": rng.random(n), "u_channel": rng.random(n), "g_wait": rng.gamma(2.0, 0.5, n),
                            "walk_s": rng.integers(0, 181, n), "g_serv": rng.gamma(3.0, 1 / 3, n)})
    tickets["surge"] = surge[di]
    tickets = tickets.sort_values(["unit_idx", "day_idx", "issue_s"], kind="mergesort").reset_index(drop=True)
    # SKM: respondents per unit and quarter around the Krejcie-Morgan size
    qstarts = pd.period_range(cal.months[0], cal.months[-1], freq="Q")
    vol_rows, resp = [], []
    for u in range(nu):
        for q in qstarts:
            qdays = days[(days >= max(q.start_time, cal.months[0])) & (days <= min(q.end_time, days[-1]))]
            n_served = int(round(units["users_per_day"].iat[u] * len(qdays) * rng.uniform(0.9, 1.15)))
            vol_rows.append((units["unit_id"].iat[u], f"{q.year}Q{q.quarter}", n_served))
            need = measures.krejcie_morgan(n_served)
            k = max(1, int(round(need * rng.uniform(0.65, 1.25) * cfg.skm_sample_scale)))
            sd = np.sort(rng.integers(0, len(qdays), k))
            resp.append(pd.DataFrame({"unit_idx": u, "quarter": f"{q.year}Q{q.quarter}", "seq": np.arange(1, k + 1),
                                      "date": qdays[sd]}))
    volume = pd.DataFrame(vol_rows, columns=["unit_id", "quarter", "users_served"])
    skm = pd.concat(resp, ignore_index=True)
    m = len(skm)
    skm["r"] = rng.normal(0, 0.3, m)
    for i in range(1, 10):
        skm[f"n{i}"] = rng.normal(0, 0.5, m)
    skm["age"] = np.clip(np.round(rng.normal(38, 12, m)), 17, 80).astype("int64")
    skm["sex"] = np.where(rng.random(m) < 0.52, "P", "L")
    skm["education"] = np.array(EDUCATION)[rng.choice(len(EDUCATION), m, p=[.08, .14, .42, .12, .2, .04])]
    skm["occupation"] = np.array(OCCUPATION)[rng.choice(len(OCCUPATION), m, p=[.1, .25, .22, .13, .2, .1])]
    skm["u_service"] = rng.random(m)
    # health: unit x week x disease
    h_units = np.flatnonzero(units["unit_type"].to_numpy() == "puskesmas")
    lo_hi = [C.CATCHMENT["pustu" if units["unit_id"].iat[u].startswith("PST") else "puskesmas"] for u in h_units]
    pop0 = {u: int(rng.integers(lo, hi)) for u, (lo, hi) in zip(h_units, lo_hi)}
    hu, hw, hd = np.meshgrid(h_units, np.arange(len(cal.weeks)), np.arange(len(C.DISEASE_RATE)), indexing="ij")
    health = pd.DataFrame({"unit_idx": hu.ravel(), "week_idx": hw.ravel(), "dis": hd.ravel()})
    health["u"] = rng.random(len(health))
    health["pop0"] = health["unit_idx"].map(pop0)
    # schools: unit x semester
    s_units = np.flatnonzero(units["unit_type"].to_numpy() == "school")
    sem = pd.date_range(cal.months[0] - pd.offsets.MonthBegin(5), cal.months[-1], freq="MS")
    sem = sem[sem.month.isin([1, 7])]
    su, ss = np.meshgrid(s_units, np.arange(len(sem)), indexing="ij")
    schools = pd.DataFrame({"unit_idx": su.ravel(), "sem_start": sem[ss.ravel()], "noise": rng.normal(0, 1.2, su.size),
                            "stud_noise": rng.integers(-20, 21, su.size)})
    return Draws(skp, tickets, skm, volume, health, schools, unit_fx)


# --------------------------------------------------------------------------- outcomes
def poisson_quantile(u: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Smallest k with P(X <= k) >= u for X ~ Poisson(mu): inverse-CDF draws keep common random numbers
    (a lower rate gives fewer or equal cases from the same u). Written out to avoid importing scipy.stats."""
    k = np.zeros(len(u), dtype="int64")
    p = np.exp(-mu)
    cdf = p.copy()
    todo = u > cdf
    j = 0
    while todo.any():
        j += 1
        p = p * mu / j
        cdf = cdf + p
        k[todo] = j
        todo &= u > cdf
        if j > 10_000:
            break
    return k


def _logistic(x):
    return 1 / (1 + np.exp(-x))


def build_tables(d: Design, roster: pd.DataFrame, dr: Draws, treated: bool) -> dict[str, pd.DataFrame]:
    """Canonical tables (with raw NIP) given the draws; ``treated=False`` is the no-adoption world."""
    cal, units = d.cal, d.units
    expo = d.exposure if treated else (lambda u, p: np.zeros(np.broadcast(u, p).shape))
    out: dict[str, pd.DataFrame] = {}
    out["units"] = units[["unit_id", "unit_name", "unit_type", "opd", "kelurahan", "distance_km"]].copy()
    adopt = units["first_treat"].to_numpy()
    out["adoption"] = pd.DataFrame({"unit_id": units["unit_id"],
                                    "adoption_month": [cal.months[g - 1] if g else pd.NaT for g in adopt]})
    out["asn"] = roster[["nip", "name", "status", "sex", "golongan", "unit_id", "active_from", "supervisor_nip"]].copy()

    # SKP ---------------------------------------------------------------
    s = dr.skp
    ui = roster["unit_idx"].to_numpy()[s["emp"].to_numpy()]
    per = s["period"].to_numpy()
    e = expo(ui, per)
    tr = d.trend(ui, per)
    fx = dr.unit_fx["skp"].to_numpy()[ui]
    zh = s["person"].to_numpy() + fx + 0.05 * (per - 1) / 12 + 0.6 * e + 0.3 * tr + s["n1"].to_numpy()
    zp = 0.6 * s["person"].to_numpy() + fx + 0.4 * e + 0.3 * tr + s["n2"].to_numpy()
    hasil = np.where(zh > 1.1, "di_atas", np.where(zh < -1.2, "di_bawah", "sesuai"))
    peril = np.where(zp > 1.1, "di_atas", np.where(zp < -1.3, "di_bawah", "sesuai"))
    month = cal.months[per - 1]
    out["skp"] = pd.DataFrame({
        "nip": roster["nip"].to_numpy()[s["emp"]], "unit_id": units["unit_id"].to_numpy()[ui], "month": month,
        "hasil_kerja": hasil, "perilaku": peril, "predikat": measures.skp_predikat(hasil, peril),
        "supervisor_nip": roster["supervisor_nip"].to_numpy()[s["emp"]],
        "submitted_on": month + pd.offsets.MonthEnd(0) + pd.to_timedelta(s["lag"].to_numpy(), unit="D")})

    # training: monthly hazard, more and earlier under KPI management ----
    hazard = 0.012 * (1 + 2.5 * e) * np.exp(0.3 * tr)
    ev = s["u_train"].to_numpy() < hazard
    course_idx = np.searchsorted(np.cumsum(C.COURSE_WEIGHTS), s["u_course"].to_numpy()[ev] * 0.999999)
    start = month[ev] + pd.to_timedelta(s["train_day"].to_numpy()[ev], unit="D")
    length = s["train_len"].to_numpy()[ev]
    out["training"] = pd.DataFrame({"nip": roster["nip"].to_numpy()[s["emp"].to_numpy()[ev]],
                                    "course": np.array(list(St.load(d.cfg.study).courses))[course_idx], "start_date": start,
                                    "end_date": start + pd.to_timedelta(length - 1, unit="D"), "hours": length * 8})

    # tickets --------------------------------------------------------------
    t = dr.tickets
    tu = t["unit_idx"].to_numpy()
    day = cal.days[t["day_idx"].to_numpy()]
    tper = cal.period_of(day)
    e = expo(tu, tper)
    tr = d.trend(tu, tper)
    utype = units["unit_type"].to_numpy()[tu]
    service = np.empty(len(t), dtype=object)
    mean_serv = np.zeros(len(t))
    for typ, mix in C.SERVICE_MIX.items():
        sel = utype == typ
        w = np.cumsum([m[1] for m in mix])
        k = np.searchsorted(w / w[-1], t["u_service"].to_numpy()[sel] * 0.999999)
        service[sel] = np.array([m[0] for m in mix], dtype=object)[k]
        mean_serv[sel] = np.array([m[2] for m in mix])[k]
    p_online = _logistic(-2.3 + 0.15 * (tper - 1) / 12 + dr.unit_fx["online"].to_numpy()[tu] + 1.8 * e + 0.4 * tr)
    online = t["u_channel"].to_numpy() < p_online
    base_wait = np.array([C.BASE_WAIT[x] for x in utype]) * dr.unit_fx["wait"].to_numpy()[tu]
    wait_mean = base_wait * t["surge"].to_numpy() ** 0.8 * np.exp(0.15 * tr) * np.exp(-0.4 * e) * np.where(online, .6, 1)
    wait_s = np.round(wait_mean * t["g_wait"].to_numpy() * 60).astype("int64")
    serv_s = np.round(mean_serv * np.exp(-0.2 * e) * t["g_serv"].to_numpy() * 60).astype("int64")
    issued = day.to_numpy() + np.timedelta64(7 * 3600 + 1800, "s") + t["issue_s"].to_numpy().astype("timedelta64[s]")
    called = issued + wait_s.astype("timedelta64[s]")
    served = called + t["walk_s"].to_numpy().astype("timedelta64[s]")
    finished = served + serv_s.astype("timedelta64[s]")
    seq = t.groupby(["unit_idx", "day_idx"], sort=False).cumcount().to_numpy() + 1
    ticket_no = np.char.add("A", np.char.zfill(seq.astype(str), 3))
    uid = units["unit_id"].to_numpy()[tu]
    out["tickets"] = pd.DataFrame({
        "ticket_id": pd.Series(uid, dtype=object) + "-" + pd.Series(day.strftime("%Y%m%d")) + "-" + ticket_no,
        "unit_id": uid, "service": service, "priority": [St.load(d.cfg.study).services[x].priority for x in service],
        "channel": np.where(online, "online", "walk_in"), "issued_at": issued, "called_at": called,
        "served_at": served, "finished_at": finished})
    out["tickets"]["ticket_no"] = ticket_no

    # SKM -------------------------------------------------------------------
    r = dr.skm
    ru = r["unit_idx"].to_numpy()
    rper = cal.period_of(r["date"])
    e = expo(ru, rper)
    tr = d.trend(ru, rper)
    q = 3.05 + dr.unit_fx["skm"].to_numpy()[ru] + 0.04 * (rper - 1) / 12 + 0.3 * e + 0.2 * tr + r["r"].to_numpy()
    offs = (0.0, -0.05, -0.25, 0.45, 0.05, 0.1, 0.15, -0.3, -0.1)
    skm = {"response_id": ("SKM-" + units["unit_id"].to_numpy()[ru].astype(object) + "-" + r["quarter"].to_numpy()
                           + "-" + pd.Series(r["seq"]).astype(str).str.zfill(4).to_numpy()),
           "unit_id": units["unit_id"].to_numpy()[ru], "survey_date": r["date"].to_numpy(),
           "age": r["age"].to_numpy(), "sex": r["sex"].to_numpy(), "education": r["education"].to_numpy(),
           "occupation": r["occupation"].to_numpy()}
    rtype = units["unit_type"].to_numpy()[ru]
    svc = np.empty(len(r), dtype=object)
    for typ in ("disdukcapil", "kecamatan", "kelurahan", "puskesmas", "school"):
        sel = rtype == typ
        names = [m[0] for m in C.SERVICE_MIX[typ]] if typ in C.SERVICE_MIX else C.SKM_SERVICE_MIX[typ]
        svc[sel] = np.array(names, dtype=object)[(r["u_service"].to_numpy()[sel] * len(names)).astype(int)]
    skm["service"] = svc
    for i in range(1, 10):
        skm[f"u{i}"] = np.clip(np.round(q + offs[i - 1] + r[f"n{i}"].to_numpy()), 1, 4).astype("int64")
    out["skm"] = pd.DataFrame(skm)
    out["service_volume"] = dr.volume.copy()

    # health ----------------------------------------------------------------
    h = dr.health
    hu = h["unit_idx"].to_numpy()
    wk = cal.weeks[h["week_idx"].to_numpy()]
    wstart_idx = _week_effect_start(d)  # week index (0-based) where exposure starts, -1 never
    we = h["week_idx"].to_numpy() - wstart_idx[hu]
    frac_period = np.where(wstart_idx[hu] >= 0, d.units["first_treat"].to_numpy()[hu] - d.cfg.anticipation
                           + we / (52.0 / 12.0), -1.0)
    e = np.where((wstart_idx[hu] >= 0) & (we >= 0), expo(hu, np.maximum(frac_period, 0)), 0.0)
    tr = d.trend(hu, cal.period_of(wk))
    years = (wk.year - cal.start.year).to_numpy()
    pop = np.round(h["pop0"].to_numpy() * 1.012 ** years).astype("int64")
    dis = np.array(list(C.DISEASE_RATE))[h["dis"].to_numpy()]
    rate = np.array(list(C.DISEASE_RATE.values()))[h["dis"].to_numpy()]
    mon = wk.month.to_numpy()
    season = np.where((dis == "suspek_dbd") & np.isin(mon, [12, 1, 2, 3]), 2.5,
                      np.where((dis == "ili") & np.isin(mon, [11, 12, 1, 2]), 1.3, 1.0))
    mu = rate * pop / 1e4 * season * dr.unit_fx["health"].to_numpy()[hu] * np.exp(0.1 * tr) * np.exp(-0.2 * e)
    cases = poisson_quantile(h["u"].to_numpy(), mu)
    out["health"] = pd.DataFrame({"unit_id": units["unit_id"].to_numpy()[hu], "week_start": wk, "disease": dis,
                                  "cases": cases, "population": pop})

    # schools ---------------------------------------------------------------
    sc = dr.schools
    su = sc["unit_idx"].to_numpy()
    # a semester's score reflects management at the semester's start: a school adopting mid-semester
    # shows the effect from the next semester on, so no pre-adoption month carries a treated score
    first = np.maximum(cal.period_of(sc["sem_start"]), 1)
    e = expo(su, first.astype("float64"))
    tr = d.trend(su, first)
    years = (first - 1) / 12
    score = dr.unit_fx["school"].to_numpy()[su] + 0.8 * years + 3.0 * e + 2.0 * tr + sc["noise"].to_numpy()
    out["schools"] = pd.DataFrame({"unit_id": units["unit_id"].to_numpy()[su], "semester_start": sc["sem_start"],
                                   "assessment_score": _fmt_round(np.clip(score, 0, 100), 2),
                                   "n_students": dr.unit_fx["students"].to_numpy()[su] + sc["stud_noise"].to_numpy()})
    return out


def _week_effect_start(d: Design) -> np.ndarray:
    """0-based index of the first epi week starting on/after the (anticipated) adoption month, -1 if none."""
    res = np.full(len(d.units), -1)
    for u, g in enumerate(d.units["first_treat"].to_numpy()):
        if g:
            p = max(g - d.cfg.anticipation, 1)
            eff_start = d.cal.months[p - 1] if p <= len(d.cal.months) else None
            if eff_start is not None:
                w = np.flatnonzero(d.cal.weeks >= eff_start)
                res[u] = w[0] if len(w) else -1
    return res
