"""What-if simulation: the API contract (the CLI's simulate --json per scenario), the page,
and every bad input. Runs on the small reynolds2006 preset only (no new kernel compiled)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import TestClient

from sepsistwin import DISCLAIMER

REYNOLDS: dict[str, Any] = {
    "model": "reynolds2006",
    "hours": 96,
    "step": 4,
    "params": {"k_pg": 0.6},
    "init": {"P": 1.0},
    "scenarios": [
        {"name": "untreated", "doses": []},
        {"name": "anti-inflammatory", "doses": ["CA:0.05/h@0-48"]},
    ],
}


@pytest.fixture(scope="module")
def simulated(client: TestClient) -> dict[str, Any]:
    r = client.post("/api/simulate", json=REYNOLDS)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def test_each_scenario_follows_the_simulate_json_contract(simulated: dict[str, Any]) -> None:
    assert simulated["model"] == "reynolds2006" and simulated["disclaimer"] == DISCLAIMER
    t = simulated["time"]
    assert t[0] == 0 and t[-1] == 96 and len(t) == 25
    assert [s["name"] for s in simulated["scenarios"]] == ["untreated", "anti-inflammatory"]
    for s in simulated["scenarios"]:
        assert set(s) == {"name", "doses", "status", "states", "observables"}
        assert set(s["states"]) == {"P", "N", "D", "CA"}
        assert all(len(v) == len(t) for v in s["states"].values())
        assert s["states"]["P"][0] == 1.0


def test_a_dose_changes_only_its_scenario(simulated: dict[str, Any]) -> None:
    untreated, treated = simulated["scenarios"]
    assert treated["doses"] == ["CA:0.05/h@0-48"]
    assert treated["states"]["CA"] != untreated["states"]["CA"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"model": "nope"}, "model: 'nope' is not one of"),
        ({"params": {"nope": 1.0}}, "params: unknown name(s) ['nope']"),
        ({"init": {"X": 1.0}}, "init: unknown name(s) ['X']"),
        ({"step": 0.001}, "save points"),
        (
            {"scenarios": [{"name": "a", "doses": ["anakinra:200mg@24"]}]},
            "therapy doses need a model with pharmacology",
        ),
        ({"scenarios": [{"name": "a", "doses": ["P:lots@2"]}]}, "scenario 'a'"),
        ({"scenarios": [{"name": "a"}, {"name": "a"}]}, "names must differ"),
        ({"patient": {"population": "septic_shock"}}, "drawn for the 'sepsistwin' model"),
        (
            {"model": "sepsistwin", "scenarios": [{"name": "a"}], "patient": {"population": "x"}},
            "population: 'x' is not one of",
        ),
    ],
)
def test_bad_simulation_inputs_are_422(
    client: TestClient, change: dict[str, Any], expected: str
) -> None:
    r = client.post("/api/simulate", json={**REYNOLDS, **change})
    assert r.status_code == 422, r.text
    assert any(expected in e for e in r.json()["errors"]), r.json()["errors"]


@pytest.mark.parametrize(
    "change",
    [
        {"hours": 0},
        {"hours": 1e9},
        {"scenarios": []},
        {"scenarios": [{"name": "a"}] * 5},
        {"x": 1},
        {"patient": {"index": 1000}},
        {"patient": {"seed": -1}},
    ],
)
def test_out_of_bounds_requests_are_422(client: TestClient, change: dict[str, Any]) -> None:
    assert client.post("/api/simulate", json={**REYNOLDS, **change}).status_code == 422


def test_simulate_page_form_and_result(client: TestClient, simulated: dict[str, Any]) -> None:
    assert "Simulate" in client.get("/simulate").text
    form = {
        "model": "reynolds2006",
        "hours": "48",
        "step": "6",
        "weight_kg": "75",
        "params": "k_pg=0.6",
        "init": "P=1.0",
        "name_1": "untreated",
        "doses_1": "",
        "name_2": "bolus",
        "doses_2": "N:0.1@6",
    }
    r = client.post("/simulate", data=form)
    assert r.status_code == 200, r.text
    assert "simulation-data" in r.text and 'id="final-table"' in r.text
    bad = client.post("/simulate", data={**form, "params": "k_pg"})
    assert bad.status_code == 422 and "expected NAME=VALUE" in bad.text
    bad = client.post("/simulate", data={**form, "hours": "soon"})
    assert bad.status_code == 422 and "hours: &#39;soon&#39; is not a number" in bad.text


def test_the_default_form_is_a_valid_plan_for_the_full_model() -> None:
    from sepsistwin.web.pages import DEFAULT_SCENARIOS
    from sepsistwin.web.simulate import Scenario, SimulationPlan, check_plan

    plan = SimulationPlan(
        model="sepsistwin",
        params={},
        init={},
        hours=672,
        step=6,
        weight_kg=75,
        scenarios=tuple(Scenario(n, tuple(d.splitlines())) for n, d in DEFAULT_SCENARIOS if n or d),
        population="septic_shock",
        seed=1,
        index=0,
    )
    assert check_plan(plan) is plan  # names and doses checked without compiling
    assert len(plan.times()) == 113


def test_a_population_patient_brings_its_parameters_and_standard_care() -> None:
    from sepsistwin.web.simulate import Scenario, SimulationPlan, virtual_patient

    plan = SimulationPlan(
        model="sepsistwin",
        params={"k_pg": 0.5},
        init={},
        hours=24,
        step=6,
        weight_kg=75,
        scenarios=(Scenario("a", ()),),
        population="septic_shock",
        seed=3,
        index=2,
    )
    params, init, care, about = virtual_patient(plan)
    again = virtual_patient(plan)
    assert params == again[0] and init == again[1]  # the same draw for the same seed
    assert params["k_pg"] == 0.5  # overrides win
    assert "P" in init and len(care) > 0
    assert about["index"] == 2 and about["weight_kg"] > 0


@pytest.mark.slow
def test_default_what_if_runs_on_the_full_model(client: TestClient) -> None:
    """End to end on the full model (compiles its kernel on first use: slow)."""
    from sepsistwin.web.pages import DEFAULT_SCENARIOS

    form = {"model": "sepsistwin", "source": "population", "hours": "168", "step": "6"}
    for i, (n, d) in enumerate(DEFAULT_SCENARIOS, start=1):
        form[f"name_{i}"], form[f"doses_{i}"] = n, d
    r = client.post("/simulate", data=form)
    assert r.status_code == 200, r.text
    assert 'id="final-table"' in r.text and "septic_shock" in r.text
