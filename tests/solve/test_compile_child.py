"""Every process runs a kernel as loaded from the disk cache, the one that compiled it included."""

from __future__ import annotations

import json
import subprocess
import sys

#: Simulates Reynolds in a fresh interpreter, then lists the kernel module's compiled functions
#: that this process has compiled or loaded (those with signatures).
_PROBE = """
import json
import numpy as np
from numba.core.registry import CPUDispatcher
from sepsistwin.model import get_model
from sepsistwin.solve import simulate_batch
from sepsistwin.solve.compile import load_compiled

r = simulate_batch("reynolds2006", {"k_pg": [0.3, 0.6]}, {"P": 1.0}, np.arange(0.0, 97.0, 12.0))
mod = load_compiled(get_model("reynolds2006"))
used = sorted(n for n, f in vars(mod).items() if isinstance(f, CPUDispatcher) and f.signatures)
print(json.dumps({"used": used, "P": r.states["P"].tolist()}))
"""


def test_a_simulation_loads_only_the_cached_entry_point_not_its_callees() -> None:
    # A process that had loaded the callees' own machine code (as one that compiled them in
    # process did) binds the entry point's calls to those copies, which may round differently
    # (FMA contraction): results would depend on how the process came by the kernel. On a cold
    # cache the kernel is compiled in a child process, so this holds for the first use too.
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=900
    )
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["used"] == ["integrate_chunk"]
    assert probe["P"][0][-1] < 1e-3 < probe["P"][1][-1]  # cleared vs septic: it integrated
