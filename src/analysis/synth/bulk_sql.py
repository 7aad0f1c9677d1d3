"""SQL of the bulk generator (:mod:`analysis.synth.bulk`): hash-keyed random numbers and the table models.

Every random number is ``hash(seed, tag, key...)`` of DuckDB mapped to (0, 1): a draw depends on the
seed and on what it is about (unit id, employee, day, ticket index ...), never on row order, partition
or worker. So a kabupaten/kota's rows are the same whichever process writes them, and both potential-
outcome worlds (observed and never adopted) use the same draws (common random numbers): the truth is
the exact effect on the generated rows. DuckDB's ``hash`` is stable for a given DuckDB version (pinned
in requirements.lock); same seed and version give the same bytes.

The models follow :mod:`analysis.synth.world` (same effects, ramps, noise scales), with three
simplifications that keep every row computable without looking at other rows: a unit-day's ticket
count is a rounded normal approximation of Poisson(lambda) (at least 0), health cases likewise, and
waits and service times are capped at the plausibility bounds (plausibility.yaml) so every row the
cleaner rejects is one the generator logged.
"""

from __future__ import annotations

import hashlib

from analysis import schemas
from analysis.engine import sql_literal as lit
from analysis.measures import SKP_MATRIX
from analysis.synth import catalog as C
from analysis.synth import export as X

TWO53 = 9007199254740992.0


def macros(seed: int, cfg) -> list[str]:
    """Macros every bulk connection defines: uniform and normal draws, treatment exposure."""
    return [
        f"create or replace macro u01(h) as ((h >> 11)::double + 0.5) / {TWO53}",
        "create or replace macro nrm(h1, h2) as sqrt(-2 * ln(u01(h1))) * cos(2 * pi() * u01(h2))",
        f"""create or replace macro expo(ft, mult, per) as
            case when ft > 0 and per - (ft - {cfg.anticipation}) >= 0
                 then {cfg.effect_scale} * mult * (1 - exp(-((per - (ft - {cfg.anticipation})) + 1) / {cfg.ramp_months}))
                 else 0.0 end""",
        "create or replace macro logistic(x) as 1 / (1 + exp(-x))",
    ]


class Draw:
    """SQL text of hash-keyed draws for one seed."""

    def __init__(self, seed: int):
        self.seed = int(seed)

    def u(self, tag: str, *keys: str) -> str:
        if keys == ("_h",):  # the row's own key hash (column _h, see row_hash): one cheap hash per draw
            return f"u01(hash(xor(_h, {_tag_int(tag)}::ubigint)))"
        return f"u01(hash({self.seed}, '{tag}', {', '.join(keys)}))"

    def row_hash(self, *keys: str) -> str:
        """Column ``_h``: the hash of a row's identity; draws keyed by ``"_h"`` derive from it."""
        return f"hash({self.seed}, {', '.join(keys)}) as _h"

    def n(self, tag: str, *keys: str) -> str:
        k = ", ".join(keys)
        return f"nrm(hash({self.seed}, '{tag}:a', {k}), hash({self.seed}, '{tag}:b', {k}))"

    def i(self, tag: str, lo: int, hi: int, *keys: str) -> str:
        """Integer in [lo, hi)."""
        return f"({lo} + floor({self.u(tag, *keys)} * {hi - lo})::bigint)"

    def gamma(self, tag: str, shape: int, scale: float, *keys: str) -> str:
        """Gamma(shape, scale) for a whole shape: a sum of exponentials."""
        return "(" + " + ".join(f"-ln({self.u(f'{tag}{j}', *keys)})" for j in range(shape)) + f") * {scale}"


def _tag_int(tag: str) -> int:
    """A stable 63-bit number per draw name (Python's hash() is salted per process, so not that)."""
    return int.from_bytes(hashlib.blake2b(tag.encode(), digest_size=8).digest(), "big") >> 1


def pick_list(values: list[str]) -> str:
    return "[" + ", ".join(lit(v) for v in values) + "]"


def case_map(expr: str, mapping: dict, default: str = "NULL") -> str:
    """``case expr when k then v ... end`` with SQL literals (lists for tuple values)."""
    def val(v):
        if isinstance(v, (list, tuple)):
            return pick_list(list(v))
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        return lit(v)
    whens = " ".join(f"when {lit(k)} then {val(v)}" for k, v in mapping.items())
    return f"(case {expr} {whens} else {default} end)"


def by_cumulative(u: str, labels: list, weights: list[float]) -> str:
    """The label whose cumulative-weight interval holds the uniform ``u``."""
    total = float(sum(weights))
    acc, parts = 0.0, []
    for lab, w in zip(labels[:-1], weights[:-1]):
        acc += w / total
        parts.append(f"when {u} < {acc!r} then {lit(lab) if isinstance(lab, str) else lab}")
    last = labels[-1]
    return f"(case {' '.join(parts)} else {lit(last) if isinstance(last, str) else last} end)"


# --------------------------------------------------------------------------- messy text
def variant(d: Draw, value: str, variants: dict, rate: float, tag: str, key: str) -> str:
    """The usual label (variant 0), or with probability ``rate`` one of the value's variants (as export.pick)."""
    lst = case_map(value, {k: list(v) for k, v in variants.items()}, f"[{value}]")
    if rate <= 0:
        return f"coalesce(({lst})[1], {value})"
    k = d.i(f"{tag}:k", 0, 8, key)
    return (f"(case when {d.u(tag, key)} < {rate} then ({lst})[({k} % len({lst})) + 1] "
            f"else ({lst})[1] end)")


def style(d: Draw, rate: float, tag: str, key: str, n_styles: int = 3) -> str:
    """0 (usual) or, with probability ``rate``, one of styles 1..n_styles-1 (as export.styles)."""
    if rate <= 0:
        return "0"
    return f"(case when {d.u(tag, key)} < {rate} then {d.i(tag + ':s', 1, n_styles, key)} else 0 end)"


_BULAN = pick_list(list(X.BULAN))


def fmt_date(col: str, st: str) -> str:
    """style 0 ISO, 1 '12 Maret 2024', 2 '12/03/2024' (as export.fmt_date)."""
    return (f"(case {st} when 0 then strftime({col}, '%Y-%m-%d') "
            f"when 1 then day({col})::varchar || ' ' || {_BULAN}[month({col})] || ' ' || year({col})::varchar "
            f"else strftime({col}, '%d/%m/%Y') end)")


def fmt_month(col: str, st: str) -> str:
    return (f"(case {st} when 0 then strftime({col}, '%Y-%m') "
            f"when 1 then {_BULAN}[month({col})] || ' ' || year({col})::varchar "
            f"else strftime({col}, '%m/%Y') end)")


def fmt_time(col: str, st: str) -> str:
    return f"(case when {st} > 0 then strftime({col}, '%H.%M.%S') else strftime({col}, '%H:%M:%S') end)"


def fmt_nip(col: str, st: str) -> str:
    """style 0 plain, 1 grouped 'YYYYMMDD YYYYMM S NNN', 2 Excel text (a leading apostrophe)."""
    return (f"(case {st} when 0 then {col} when 1 then {col}[1:8] || ' ' || {col}[9:14] || ' ' || {col}[15:15] "
            f"|| ' ' || {col}[16:18] else '''' || {col} end)")


# --------------------------------------------------------------------------- vocabularies as SQL
def skp_predikat(h: str, p: str) -> str:
    whens = " ".join(f"when {h} = {lit(a)} and {p} = {lit(b)} then {lit(v)}" for (a, b), v in SKP_MATRIX.items())
    return f"(case {whens} end)"


GOOD = ", ".join(lit(p) for p in schemas.GOOD_PREDIKAT)


def service_of(d: Draw, utype: str, key: str) -> tuple[str, str]:
    """(service, mean service minutes) of a ticket by its unit type (catalog.SERVICE_MIX)."""
    u = d.u("service", key)
    svc = " ".join(f"when {lit(t)} then {by_cumulative(u, [m[0] for m in mix], [m[1] for m in mix])}"
                   for t, mix in C.SERVICE_MIX.items())
    mins = " ".join(f"when {lit(t)} then {by_cumulative(u, [m[2] for m in mix], [m[1] for m in mix])}"
                    for t, mix in C.SERVICE_MIX.items())
    return f"(case {utype} {svc} end)", f"(case {utype} {mins} end)"


def skm_service_of(d: Draw, utype: str, key: str) -> str:
    lists = {t: [m[0] for m in mix] for t, mix in C.SERVICE_MIX.items()} | dict(C.SKM_SERVICE_MIX)
    lst = case_map(utype, lists)
    return f"({lst})[floor({d.u('skm_service', key)} * len({lst}))::bigint + 1]"
