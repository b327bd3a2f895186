"""Coefficients of the kernel's two integration methods, as data.

Each method's coefficients are one record (:class:`ExplicitTableau`, :class:`RosenbrockTableau`)
that states the method; the kernel's stepper reads them through the flat names defined below
(``A21``, ``RC61``, ...), which Numba folds into the compiled code as constants. Exchanging a
method means a new record and a stepper written for its stages; the step-size controller and
the output code do not change.

The records are plain tuples of floats, so this module is also a section of every compiled
model module (``compile.MODULE_TEMPLATE``).

Examples
--------
>>> DOPRI5.order, len(DOPRI5.b) == len(DOPRI5.c) + 1
(5, True)
>>> abs(sum(DOPRI5.b) - 1.0) < 1e-15
True
"""

from __future__ import annotations

from typing import NamedTuple


class ExplicitTableau(NamedTuple):
    """An embedded explicit Runge-Kutta pair with a dense output (first-same-as-last).

    ``c[i]`` is the node of stage ``i + 2``; ``a[i]`` the row of stage ``i + 2`` below the
    diagonal; ``b`` the weights of the solution (order ``order``, the last stage evaluated at
    the new point: FSAL); ``e`` the weights of the error estimate (solution minus embedded
    solution) over all stages; ``dense[k][s]`` the coefficient of stage ``s + 1`` in the term
    ``x**(k + 1)`` of the continuous extension ``y(t + x h) = y + h * sum_k Q_k x**(k + 1)``.
    """

    name: str
    order: int
    c: tuple[float, ...]
    a: tuple[tuple[float, ...], ...]
    b: tuple[float, ...]
    e: tuple[float, ...]
    dense: tuple[tuple[float, ...], ...]


class RosenbrockTableau(NamedTuple):
    """A Rosenbrock method in Hairer & Wanner's transformed form (``W = I/(gamma h) - J``).

    ``a`` and ``c`` are the transformed coefficients stored row-wise below the diagonal
    (``a21, a31, a32, a41, ...``); ``alpha`` the stage times and ``gammas`` the time-derivative
    weights per stage (used for non-autonomous models).
    """

    name: str
    order: int
    gamma: float
    a: tuple[float, ...]
    c: tuple[float, ...]
    alpha: tuple[float, ...]
    gammas: tuple[float, ...]


#: Dormand & Prince (1980), J Comput Appl Math 6:19-26, doi 10.1016/0771-050X(80)90013-3; the
#: dense output of order 4 as in Hairer, Norsett & Wanner, Solving Ordinary Differential
#: Equations I (2nd ed., Springer 1993), section II.6 (code DOPRI5; Shampine 1986).
DOPRI5 = ExplicitTableau(
    name="Dormand-Prince 5(4)",
    order=5,
    c=(1.0 / 5.0, 3.0 / 10.0, 4.0 / 5.0, 8.0 / 9.0, 1.0, 1.0),
    a=(
        (1.0 / 5.0,),
        (3.0 / 40.0, 9.0 / 40.0),
        (44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0),
        (19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0),
        (9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0),
        (35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0),
    ),
    b=(35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0, 0.0),
    e=(
        -71.0 / 57600.0,
        0.0,
        71.0 / 16695.0,
        -71.0 / 1920.0,
        17253.0 / 339200.0,
        -22.0 / 525.0,
        1.0 / 40.0,
    ),
    dense=(
        (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
        (
            -8048581381.0 / 2820520608.0,
            0.0,
            131558114200.0 / 32700410799.0,
            -1754552775.0 / 470086768.0,
            127303824393.0 / 49829197408.0,
            -282668133.0 / 205662961.0,
            40617522.0 / 29380423.0,
        ),
        (
            8663915743.0 / 2820520608.0,
            0.0,
            -68118460800.0 / 10900136933.0,
            14199869525.0 / 1410260304.0,
            -318862633887.0 / 49829197408.0,
            2019193451.0 / 616988883.0,
            -110615467.0 / 29380423.0,
        ),
        (
            -12715105075.0 / 11282082432.0,
            0.0,
            87487479700.0 / 32700410799.0,
            -10690763975.0 / 1880347072.0,
            701980252875.0 / 199316789632.0,
            -1453857185.0 / 822651844.0,
            69997945.0 / 29380423.0,
        ),
    ),
)

#: Hairer & Wanner, Solving Ordinary Differential Equations II (2nd ed., Springer 1996),
#: section VI.4: RODAS, order 4(3), six stages, stiffly accurate (code RODAS, coefficient set
#: of its subroutine ROCOE, METH=1).
RODAS4 = RosenbrockTableau(
    name="Rodas4",
    order=4,
    gamma=0.25,
    a=(
        1.544,
        0.9466785280815826,
        0.2557011698983284,
        3.314825187068521,
        2.896124015972201,
        0.9986419139977817,
        1.221224509226641,
        6.019134481288629,
        12.53708332932087,
        -0.6878860361058950,
        1.221224509226641,
        6.019134481288629,
        12.53708332932087,
        -0.6878860361058950,
        1.0,
    ),
    c=(
        -5.6688,
        -2.430093356833875,
        -0.2063599157091915,
        -0.1073529058151375,
        -9.594562251023355,
        -20.47028614809616,
        7.496443313967647,
        -10.24680431464352,
        -33.99990352819905,
        11.70890893206160,
        8.083246795921522,
        -7.981132988064893,
        -31.52159432874371,
        16.31930543123136,
        -6.058818238834054,
    ),
    alpha=(0.0, 0.386, 0.21, 0.63, 1.0, 1.0),
    gammas=(0.25, -0.1043, 0.1035, -0.0362, 0.0, 0.0),
)

# ---- flat names for the steppers (constants in the compiled code) ----------------------------
C2, C3, C4, C5 = DOPRI5.c[:4]
(A21,) = DOPRI5.a[0]
A31, A32 = DOPRI5.a[1]
A41, A42, A43 = DOPRI5.a[2]
A51, A52, A53, A54 = DOPRI5.a[3]
A61, A62, A63, A64, A65 = DOPRI5.a[4]
B1, _B2, B3, B4, B5, B6, _B7 = DOPRI5.b
E1, _E2, E3, E4, E5, E6, E7 = DOPRI5.e
P10 = DOPRI5.dense[0][0]
P11, _P21, P31, P41, P51, P61, P71 = DOPRI5.dense[1]
P12, _P22, P32, P42, P52, P62, P72 = DOPRI5.dense[2]
P13, _P23, P33, P43, P53, P63, P73 = DOPRI5.dense[3]

RO_GAMMA = RODAS4.gamma
RA21 = RODAS4.a[0]
RA31, RA32 = RODAS4.a[1], RODAS4.a[2]
RA41, RA42, RA43 = RODAS4.a[3], RODAS4.a[4], RODAS4.a[5]
RA51, RA52, RA53, RA54 = RODAS4.a[6], RODAS4.a[7], RODAS4.a[8], RODAS4.a[9]
RC21 = RODAS4.c[0]
RC31, RC32 = RODAS4.c[1], RODAS4.c[2]
RC41, RC42, RC43 = RODAS4.c[3], RODAS4.c[4], RODAS4.c[5]
RC51, RC52, RC53, RC54 = RODAS4.c[6], RODAS4.c[7], RODAS4.c[8], RODAS4.c[9]
RC61, RC62, RC63, RC64, RC65 = RODAS4.c[10], RODAS4.c[11], RODAS4.c[12], RODAS4.c[13], RODAS4.c[14]
RAL2, RAL3, RAL4 = RODAS4.alpha[1], RODAS4.alpha[2], RODAS4.alpha[3]
RG1, RG2, RG3, RG4 = RODAS4.gammas[0], RODAS4.gammas[1], RODAS4.gammas[2], RODAS4.gammas[3]
