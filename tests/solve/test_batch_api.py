"""simulate_batch / simulate: shapes, defaults, validation, chunking, result object."""

from __future__ import annotations

import numpy as np
import pytest

import sepsistwin
from sepsistwin.model import Model
from sepsistwin.solve import SolverOptions, simulate, simulate_batch


def test_result_shapes_follow_patients_and_save_times(two_decay: Model) -> None:
    t = np.arange(0.0, 10.0)
    r = simulate_batch(two_decay, {"k_a": [0.1, 0.2, 0.3]}, {"B": 1.0}, t)
    assert r.time.shape == (10,)
    assert r.n_patients == 3
    assert set(r.states) == {"A", "B"} and set(r.observables) == {"total"}
    assert all(v.shape == (3, 10) for v in [*r.states.values(), *r.observables.values()])
    assert r.status.shape == (3,)
    np.testing.assert_allclose(r.observables["total"], r.states["A"] + r.states["B"])
    np.testing.assert_allclose(
        r.states["A"][:, -1], np.exp(-np.array([0.1, 0.2, 0.3]) * 9), rtol=1e-7
    )


def test_missing_names_take_model_defaults(two_decay: Model) -> None:
    r = simulate_batch(two_decay, None, None, [0.0, 5.0])
    assert r.states["A"][0, 0] == 1.0 and r.states["B"][0, 0] == 0.0
    assert r.states["A"][0, 1] == pytest.approx(np.exp(-0.5), rel=1e-7)


def test_simulate_returns_one_dimensional_arrays(two_decay: Model) -> None:
    r = simulate(two_decay, {"k_a": 0.2}, {"A": 2.0}, [0.0, 1.0, 2.0])
    assert r.states["A"].shape == (3,)
    np.testing.assert_allclose(r.states["A"], 2 * np.exp(-0.2 * np.array([0, 1, 2.0])), rtol=1e-7)


def test_simulate_rejects_arrays(two_decay: Model) -> None:
    with pytest.raises(ValueError, match="one patient"):
        simulate(two_decay, {"k_a": [0.1, 0.2]}, {}, [0.0, 1.0])


def test_top_level_package_exposes_simulate_batch() -> None:
    assert sepsistwin.simulate_batch is simulate_batch
    assert sepsistwin.simulate is simulate


@pytest.mark.parametrize(
    ("params", "init", "t_eval", "match"),
    [
        ({"k_x": 1.0}, {}, [0, 1], r"unknown parameter name\(s\) \['k_x'\].*k_a"),
        ({}, {"C": 1.0}, [0, 1], r"unknown initial state name\(s\) \['C'\].*'A', 'B'"),
        ({}, {"A": -0.5}, [0, 1], "initial state 'A': concentrations must be >= 0"),
        ({"k_a": float("nan")}, {}, [0, 1], "parameter 'k_a'.*not finite"),
        ({"k_a": [0.1, 0.2]}, {"A": [1.0, 2.0, 3.0]}, [0, 1], "disagree in length"),
        ({}, {}, [0, 2, 1], "strictly increasing"),
        ({}, {}, [], "at least one time"),
    ],
)
def test_bad_inputs_raise_errors_naming_the_field(
    two_decay: Model, params: dict, init: dict, t_eval: list, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        simulate_batch(two_decay, params, init, t_eval)


def test_unknown_model_name_lists_available_models() -> None:
    with pytest.raises(ValueError, match="reynolds2006"):
        simulate_batch("no_such_model", {}, {}, [0, 1])


def test_bad_tolerances_are_rejected(two_decay: Model) -> None:
    with pytest.raises(ValueError, match="rtol"):
        simulate_batch(two_decay, {}, {}, [0, 1], rtol=0.0)
    with pytest.raises(ValueError, match="atol: unknown state"):
        simulate_batch(two_decay, {}, {}, [0, 1], atol={"Z": 1e-9})


def test_chunking_does_not_change_results(two_decay: Model) -> None:
    k = np.linspace(0.05, 0.5, 7)
    t = np.linspace(0, 24, 13)
    whole = simulate_batch(two_decay, {"k_a": k}, {}, t)
    chunked = simulate_batch(two_decay, {"k_a": k}, {}, t, options=SolverOptions(chunk_size=2))
    np.testing.assert_array_equal(whole.states["A"], chunked.states["A"])
    np.testing.assert_array_equal(whole.n_steps, chunked.n_steps)


def test_adaptive_step_is_per_patient(two_decay: Model) -> None:
    # A fast and a slow patient in one batch: the fast one needs more steps, the slow one is not
    # forced onto the fast one's step size.
    r = simulate_batch(two_decay, {"k_a": [0.01, 5.0]}, {}, np.linspace(0, 10, 3))
    assert r.n_steps[1] > 3 * r.n_steps[0]


def test_tidy_and_wide_frames_hold_every_value(two_decay: Model) -> None:
    r = simulate_batch(two_decay, {"k_a": [0.1, 0.2]}, {}, [0.0, 1.0, 2.0])
    long = r.to_frame()
    assert len(long) == 2 * 3 * 3  # patients * times * (2 states + 1 observable)
    assert set(long.columns) == {"patient", "time", "variable", "value"}
    wide = r.to_wide()
    assert list(wide.columns) == ["patient", "time", "A", "B", "total"]
    assert wide.loc[(wide.patient == 1) & (wide.time == 2.0), "A"].item() == pytest.approx(
        np.exp(-0.4), rel=1e-7
    )
    assert "2 patient(s)" in r.summary()


def test_an_empty_batch_returns_empty_results_even_with_doses() -> None:
    from sepsistwin.solve import Bolus

    r = simulate_batch(
        "reynolds2006", {"k_pg": np.array([])}, {}, [0.0, 1.0], doses=Bolus("P", 0.5, 0.1)
    )
    assert r.states["P"].shape == (0, 2) and r.status.shape == (0,)


def test_large_results_live_in_their_own_mapping_and_count_free_huge_page_blocks() -> None:
    from sepsistwin.solve.batch import _MMAP_MIN_BYTES, _buddy_free_bytes, _result_array

    # Orders 0..10 of 4 KiB pages: only orders 9 (2 MiB) and 10 (4 MiB) back a huge page.
    info = (
        "Node 0, zone      DMA      0 0 0 0 0 0 0 0 1 1 3\n"
        "Node 0, zone   Normal   1789 1265 590 250 269 1634 1228 1191 534 13 1242\n"
    )
    assert _buddy_free_bytes(info) == (1 + 13) * 2**21 + (3 + 1242) * 2**22
    assert _buddy_free_bytes(info, min_order=10) == (3 + 1242) * 2**22
    assert _buddy_free_bytes("") == 0
    n = _MMAP_MIN_BYTES // 8 + 3
    a = _result_array((n,))
    a[:] = np.arange(n)  # writable, every page
    assert a.base is not None and a.sum() == n * (n - 1) / 2
