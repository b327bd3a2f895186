"""Four powers ``x**n`` at once in SIMD registers, for a model's non-integer Hill exponents.

A model's right-hand side may raise several states to exponents known only at run time (Hill
coefficients such as 3.16 or 0.3). One at a time each costs a libm ``log`` and ``exp``, about a
third of the full sepsistwin model's right-hand side (perf, trial patients). Without a vector
math library for Numba, ``_explog4`` writes ``exp(n*log(x))`` for four lanes directly as LLVM
vector instructions: the table-free fdlibm algorithms (``e_log.c``, ``e_exp.c``; Sun
Microsystems 1993, errors below 1 ulp each), with the range reduction done on the bit patterns.
``pow4`` then recomputes with C ``pow`` any lane outside the fast path's domain (x not a positive
normal number, or |n*log x| beyond 708), so results keep ``pow``'s semantics there.

The generated module embeds this file's source (``sepsistwin.solve.compile``), like the kernel.
"""

from __future__ import annotations

from typing import Any

import numba as nb
from llvmlite import ir
from numba.core import cgutils
from numba.core import types as nbt
from numba.extending import intrinsic

_F64 = ir.DoubleType()
_I64 = ir.IntType(64)
_V4 = ir.VectorType(_F64, 4)
_V4I = ir.VectorType(_I64, 4)

# fdlibm e_log.c: log(1+f) = f - f^2/2 + s*(f^2/2 + R(s^2)), s = f/(2+f),
# f in [sqrt(1/2)-1, sqrt(2)-1].
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_LG = (
    6.666666666666735130e-01,
    3.999999999940941908e-01,
    2.857142874366239149e-01,
    2.222219843214978396e-01,
    1.818357216161805012e-01,
    1.531383769920937332e-01,
    1.479819860511658591e-01,
)
# fdlibm e_exp.c: exp(r) = 1 + 2r/(2 - c), c = r - r^2*P(r^2), |r| <= ln2/2.
_INV_LN2 = 1.44269504088896338700e00
_P = (
    1.66666666666666019037e-01,
    -2.77777777770155933842e-03,
    6.61375632143793436117e-05,
    -1.65339022054652515390e-06,
    4.13813679705723846039e-08,
)
#: Bit pattern of sqrt(1/2): mantissas are reduced to [sqrt(1/2), sqrt(2)).
_SQRT_HALF_BITS = 0x3FE6A09E667F3BCD
_EXP_MASK = -(1 << 52)  # 0xFFF0000000000000 as a signed 64-bit integer
_SMALLEST_NORMAL = 2.2250738585072014e-308
_Y_MIN, _Y_MAX = -708.0, 709.0


def _explog4_ir(builder: Any, xs: list[Any], ns: list[Any]) -> list[Any]:
    """LLVM IR for ``exp(n*log(x))`` on four lanes; NaN where the fast path does not apply."""

    def vf(c: float) -> Any:
        return ir.Constant(_V4, [ir.Constant(_F64, c)] * 4)

    def vi(c: int) -> Any:
        return ir.Constant(_V4I, [ir.Constant(_I64, c)] * 4)

    def pack(vals: list[Any]) -> Any:
        v = ir.Constant(_V4, ir.Undefined)
        for k, e in enumerate(vals):
            v = builder.insert_element(v, e, ir.Constant(ir.IntType(32), k))
        return v

    add, sub, mul = builder.fadd, builder.fsub, builder.fmul
    x = pack(xs)
    n = pack(ns)
    # log(x) = k*ln2 + log(z), z in [sqrt(1/2), sqrt(2)).
    ix = builder.bitcast(x, _V4I)
    tmp = builder.sub(ix, vi(_SQRT_HALF_BITS))
    k = builder.ashr(tmp, vi(52))
    z = builder.bitcast(builder.sub(ix, builder.and_(tmp, vi(_EXP_MASK))), _V4)
    f = sub(z, vf(1.0))
    s = builder.fdiv(f, add(f, vf(2.0)))
    z2 = mul(s, s)
    w = mul(z2, z2)
    t1 = mul(w, add(vf(_LG[1]), mul(w, add(vf(_LG[3]), mul(w, vf(_LG[5]))))))
    t2 = mul(
        z2, add(vf(_LG[0]), mul(w, add(vf(_LG[2]), mul(w, add(vf(_LG[4]), mul(w, vf(_LG[6])))))))
    )
    r_log = add(t2, t1)
    hfsq = mul(vf(0.5), mul(f, f))
    dk = builder.sitofp(k, _V4)
    inner = sub(hfsq, add(mul(s, add(hfsq, r_log)), mul(dk, vf(_LN2_LO))))
    log_x = sub(mul(dk, vf(_LN2_HI)), sub(inner, f))
    # exp(y) = 2^k * exp(r), y = k*ln2 + r, |r| <= ln2/2.
    y = mul(n, log_x)
    floor = cgutils.get_or_insert_function(
        builder.module, ir.FunctionType(_V4, [_V4]), "llvm.floor.v4f64"
    )
    kd = builder.call(floor, [add(mul(y, vf(_INV_LN2)), vf(0.5))])
    hi = sub(y, mul(kd, vf(_LN2_HI)))
    lo = mul(kd, vf(_LN2_LO))
    r = sub(hi, lo)
    t = mul(r, r)
    poly = add(vf(_P[3]), mul(t, vf(_P[4])))
    poly = add(vf(_P[2]), mul(t, poly))
    poly = add(vf(_P[1]), mul(t, poly))
    poly = add(vf(_P[0]), mul(t, poly))
    c = sub(r, mul(t, poly))
    frac = builder.fdiv(mul(r, c), sub(vf(2.0), c))
    e = sub(vf(1.0), sub(sub(lo, frac), hi))
    scaled = builder.add(builder.bitcast(e, _V4I), builder.shl(builder.fptosi(kd, _V4I), vi(52)))
    result = builder.bitcast(scaled, _V4)
    # The fast path's domain (ordered compares: NaN lanes fail).
    ok = builder.and_(
        builder.and_(
            builder.fcmp_ordered(">=", x, vf(_SMALLEST_NORMAL)),
            builder.fcmp_ordered("<", x, vf(float("inf"))),
        ),
        builder.and_(
            builder.fcmp_ordered(">", y, vf(_Y_MIN)), builder.fcmp_ordered("<", y, vf(_Y_MAX))
        ),
    )
    result = builder.select(ok, result, vf(float("nan")))
    return [builder.extract_element(result, ir.Constant(ir.IntType(32), k)) for k in range(4)]


@intrinsic
def _explog4(typingctx, x0, x1, x2, x3, n0, n1, n2, n3):
    """``(exp(n0*log(x0)), ..., exp(n3*log(x3)))`` in one vector pass; NaN off the domain."""
    f = nbt.float64
    sig = nbt.UniTuple(f, 4)(f, f, f, f, f, f, f, f)

    def codegen(context, builder, signature, args):
        vals = _explog4_ir(builder, list(args[:4]), list(args[4:]))
        return context.make_tuple(builder, signature.return_type, vals)

    return sig, codegen


@nb.njit(cache=True, error_model="numpy", inline="always")
def pow4(x0, x1, x2, x3, n0, n1, n2, n3):
    """``(x0**n0, x1**n1, x2**n2, x3**n3)``: vectorised where x > 0 is a normal number and
    |n*log x| <= 708 (relative error ~|n*log x|*2**-53, as ``exp(n*log(x))`` with libm), C
    ``pow`` otherwise."""
    r0, r1, r2, r3 = _explog4(  # type: ignore[call-arg,var-annotated]
        float(x0), float(x1), float(x2), float(x3), float(n0), float(n1), float(n2), float(n3)
    )
    if r0 != r0:
        r0 = x0**n0
    if r1 != r1:
        r1 = x1**n1
    if r2 != r2:
        r2 = x2**n2
    if r3 != r3:
        r3 = x3**n3
    return r0, r1, r2, r3
