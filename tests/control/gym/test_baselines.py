"""Baseline policies and their evaluation on shared, paired patients."""

from __future__ import annotations

import numpy as np
import pytest

from sepsistwin.control.gym import ActionCatalogue, EnvConfig, ObservationLayout
from sepsistwin.control.gym.baselines import (
    Evaluation,
    main,
    run_baselines,
    select_phenotype_courses,
    table_rows,
    wilson,
)
from sepsistwin.control.gym.policies import (
    Course,
    FixedCourse,
    NoTreatment,
    PhenotypeRules,
    ProvideRules,
)


@pytest.fixture
def cat_lay() -> tuple[ActionCatalogue, ObservationLayout]:
    cat = ActionCatalogue()
    return cat, ObservationLayout(cat.therapies)


def obs_with(lay: ObservationLayout, n: int = 1, day: float = 0.0, **values: float) -> np.ndarray:
    obs = np.zeros((n, lay.size), dtype=np.float32)
    obs[:, lay.day] = day
    for k, v in values.items():
        obs[:, lay.index(k)] = v
        obs[:, lay.index(f"measured_{k}")] = 1.0
    return obs


def test_provide_rules_give_anakinra_to_mals_for_seven_days(cat_lay) -> None:
    cat, lay = cat_lay
    pol = ProvideRules(cat, lay)
    anakinra = cat.action_for([cat.level_index("anakinra", "provide_iv")])
    acts = [pol(obs_with(lay, day=0, ferritin=9000.0, neutrophils=6.0))[0]]
    acts += [pol(obs_with(lay, day=d))[0] for d in range(1, 9)]
    assert acts == [anakinra] * 7 + [0, 0]


def test_provide_rules_give_interferon_gamma_every_other_day_to_immunoparalysis(cat_lay) -> None:
    cat, lay = cat_lay
    pol = ProvideRules(cat, lay)
    ifn = cat.action_for([cat.level_index("interferon_gamma", "provide_sc")])
    acts = [pol(obs_with(lay, day=0, ferritin=800.0, mhla_dr=3000.0))[0]]
    acts += [pol(obs_with(lay, day=d))[0] for d in range(1, 17)]
    assert [d for d, a in enumerate(acts) if a == ifn] == list(range(0, 15, 2))


def test_provide_rules_wait_for_the_values_and_respect_the_window_and_neutropenia(
    cat_lay,
) -> None:
    cat, lay = cat_lay
    pol = ProvideRules(cat, lay)
    # ferritin missing on day 0: nothing yet; measured MALS on day 1: start then
    assert pol(obs_with(lay, day=0, mhla_dr=3000.0))[0] == 0
    assert pol(obs_with(lay, day=1, ferritin=9000.0))[0] != 0
    # beyond the 72 h start window: never starts
    late = ProvideRules(cat, lay)
    late(obs_with(lay, day=0))
    assert late(obs_with(lay, day=4, ferritin=9000.0))[0] == 0
    # neutropenia withholds the dose that day
    neut = ProvideRules(cat, lay)
    assert neut(obs_with(lay, day=0, ferritin=9000.0, neutrophils=1.0))[0] == 0
    # intermediate: decided, nothing
    mid = ProvideRules(cat, lay)
    assert mid(obs_with(lay, day=0, ferritin=800.0, mhla_dr=12000.0))[0] == 0
    assert mid(obs_with(lay, day=1, ferritin=9000.0))[0] == 0


def test_baselines_run_on_the_same_patients_and_separate_from_no_treatment() -> None:
    cat = ActionCatalogue()
    lay = ObservationLayout(cat.therapies)
    lv = cat.level_index("interferon_gamma", "provide_sc")
    cfg = EnvConfig(block_size=32, horizon_days=5)
    evals = run_baselines(
        cfg,
        24,
        seed=99,
        policies=[
            ("none", lambda: NoTreatment(cat)),
            ("none again", lambda: NoTreatment(cat)),
            ("ifn", lambda: FixedCourse(cat, lay, Course(lv, 15.0, 2.0))),
        ],
    )
    none, again, ifn = evals
    np.testing.assert_array_equal(none.survival_probability, again.survival_probability)
    np.testing.assert_array_equal(none.died, again.died)
    assert ifn.treated_days.tolist() == [3] * 24  # days 0, 2 and 4 of five
    assert not np.array_equal(ifn.survival_probability, none.survival_probability)
    rows = table_rows(evals)
    assert rows[1]["difference"] == 0.0 and rows[0]["patients"] == 24
    best = min(rows, key=lambda r: r["model_mortality"])  # type: ignore[arg-type,return-value]
    assert best["difference_to_best"] == 0.0 and all(r["best"] == best["policy"] for r in rows)


def test_evaluation_statistics() -> None:
    e = Evaluation("x", np.array([True, False]), np.array([0.0, 1.0]), np.array([1, 0]))
    assert e.mortality()[0] == 0.5
    lo, hi = wilson(0, 10)
    assert lo == pytest.approx(0.0, abs=1e-12) and 0.2 < hi < 0.35


def test_the_baselines_command_refuses_a_bad_tier(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--patients", "10", "--phenotypes", "septic"])
    assert "phenotypes" in capsys.readouterr().err


def test_phenotype_rules_give_each_classified_phenotype_its_own_course(cat_lay) -> None:
    cat, lay = cat_lay
    niv = cat.level_index("nivolumab", "hotchkiss_480")
    pol = PhenotypeRules(cat, lay, {"intermediate": Course(niv, 1.0), "MALS": None})
    obs = np.concatenate(
        [
            obs_with(lay, day=0, ferritin=800.0, mhla_dr=12000.0),
            obs_with(lay, day=0, ferritin=9000.0),
        ]
    )
    assert pol(obs).tolist() == [cat.action_for([niv]), 0]


def test_the_selected_courses_minimise_training_mortality_per_phenotype() -> None:
    chosen, table = select_phenotype_courses(EnvConfig(block_size=32, horizon_days=3), 12, 5)
    assert table
    for ph, mort in table.items():
        best = min(mort, key=lambda k: mort[k])
        c = chosen[ph]
        if best == "nothing":
            assert c is None
        else:
            cat = ActionCatalogue()
            assert c is not None
            assert FixedCourse(cat, ObservationLayout(cat.therapies), c).name == best
