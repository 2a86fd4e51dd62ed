"""The jig's bench supply and where it meets a load.

The supply is a voltage source with output resistance and a current limit (constant-current
fold-back), so a short pulls the rail down exactly as a bench supply does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class SupplySpec:
    """A bench supply: set voltage (V), output resistance (ohm), current limit (A)."""

    voltage_v: float = 12.0
    output_resistance_ohm: float = 0.05
    current_limit_a: float = 2.0


def operating_point(supply: SupplySpec, load: Callable[[float], float]) -> tuple[float, float]:
    """Solve supply against a monotonic load I(V): return (terminal voltage V, current A).

    In voltage mode ``V + R_out * I(V) = V_set``; if that current exceeds the limit the supply
    folds back to constant current, ``I(V) = I_limit``. Both solved by bisection. A negative
    set-point (supply leads swapped) is solved by symmetry and gives negative V and I.
    """
    if supply.voltage_v < 0:
        v, i = operating_point(replace(supply, voltage_v=-supply.voltage_v), lambda x: -load(-x))
        return -v, -i

    def bisect(f: Callable[[float], float], lo: float, hi: float) -> float:
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if f(mid) > 0:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi)

    v = bisect(
        lambda x: x + supply.output_resistance_ohm * load(x) - supply.voltage_v,
        0.0,
        supply.voltage_v,
    )
    if load(v) > supply.current_limit_a:
        v = bisect(lambda x: load(x) - supply.current_limit_a, 0.0, v)
    return v, load(v)
