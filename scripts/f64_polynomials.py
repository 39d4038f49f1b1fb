#!/usr/bin/env python3
"""Near-minimax (Chebyshev-fit) polynomials for the f64 exp and ln of
src/simd/math.rs, printed as Rust constants, highest degree first, with the
relative error each contributes (measured on 2001 points).

exp: e^r = 1 + r + r^2 P(r),  P(r) = (e^r - 1 - r) / r^2,   |r| <= ln2/2
ln:  ln((1+s)/(1-s)) = 2s + s^3 R(s^2),  R(z) = 2 (atanh(sqrt z) - sqrt z) / z^1.5,
     0 <= z <= ((sqrt2 - 1)/(sqrt2 + 1))^2

Needs mpmath (pip install mpmath). Usage: python3 scripts/f64_polynomials.py
"""
import mpmath as mp

mp.mp.dps = 50
ln2h = mp.log(2) / 2
smax = (mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)


def P(r):
    return (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2


def R(z):
    return 2 * (mp.atanh(mp.sqrt(z)) - mp.sqrt(z)) / z ** mp.mpf(1.5) if z != 0 else mp.mpf(2) / 3


def emit(name, coeffs, err):
    print(f"/// relative error of the function it builds: {mp.nstr(err, 3)}")
    print(f"const {name}: [f64; {len(coeffs)}] = [")
    for c in coeffs:
        print(f"    {mp.nstr(c, 20, min_fixed=-1, max_fixed=-1)},")
    print("];")


c = mp.chebyfit(P, [-ln2h, ln2h], 10)
err = max(abs(mp.polyval(c, x) - P(x)) * x**2 / mp.exp(x) for x in mp.linspace(-ln2h, ln2h, 2001))
emit("EXP_POLY_F64", c, err)
c = mp.chebyfit(R, [0, smax**2], 7)
err = max(
    abs(mp.polyval(c, z) - R(z)) * mp.sqrt(z) ** 3 / (2 * mp.atanh(mp.sqrt(z)))
    for z in mp.linspace(mp.mpf(1e-9), smax**2, 2001)
)
emit("LN_POLY_F64", c, err)
