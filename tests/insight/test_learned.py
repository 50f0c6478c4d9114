"""The learned churn model: it learns which inputs go with churn, says how well it ranks on
customers it did not see, explains a score per input, and refuses to learn from too little."""

from __future__ import annotations

import random

import pytest

from cairn.core import Invalid
from cairn.insight.learned import MIN_ROWS, Trained, train

INPUTS = ["days_since_visit", "spend_12m", "open_tickets"]


def history(n: int, seed: int = 1) -> tuple[list[list[float | None]], list[bool]]:
    """Customers whose churn grows with days since the last visit and falls with spend; the
    number of open tickets is noise. Some spends are blank."""
    rnd = random.Random(seed)
    rows: list[list[float | None]] = []
    churned: list[bool] = []
    for _ in range(n):
        days = rnd.uniform(0, 365)
        spend = rnd.uniform(0, 50_000)
        tickets = float(rnd.randint(0, 5))
        risk = 0.012 * days - 0.00008 * spend - 0.5
        p = 1 / (1 + 2.718281828 ** (-risk))
        rows.append([days, None if rnd.random() < 0.05 else spend, tickets])
        churned.append(rnd.random() < p)
    return rows, churned


def test_it_learns_what_goes_with_churn_and_reports_a_held_out_auc() -> None:
    rows, churned = history(2000)
    m = train(INPUTS, rows, churned)
    assert m.rows == 2000 and m.churned == sum(churned)
    assert m.held_out == 500  # a quarter held out
    assert m.auc > 0.75  # the signal is strong: it ranks well on unseen customers
    days, spend, _ = m.coef
    assert days > 0 and spend < 0  # long absence raises churn, spending lowers it


def test_a_quiet_customer_scores_lower_and_the_absence_explains_it() -> None:
    rows, churned = history(2000)
    m = train(INPUTS, rows, churned)
    loyal = [10.0, 40_000.0, 1.0]
    quiet = [300.0, 2_000.0, 1.0]
    assert m.score(loyal) > 80 > 30 > m.score(quiet)
    why = m.contributions(quiet)
    assert why[0] < 0 and why[1] < 0  # no visit for 300 days, little spend: both cost points
    assert abs(why[0]) > abs(why[2]) and abs(why[1]) > abs(why[2])  # the noise matters least
    assert m.contributions(m.centre)[0] == 0.0  # a typical customer: nothing to explain


def test_scores_of_many_agree_with_one_at_a_time_and_blanks_take_the_median() -> None:
    rows, churned = history(400, seed=3)
    m = train(INPUTS, rows, churned)
    sample = [[5.0, None, 0.0], [200.0, 100.0, 4.0], [None, None, None]]
    assert m.score_many(sample) == [m.score(r) for r in sample]
    assert m.score([5.0, None, 0.0]) == m.score([5.0, m.fill[1], 0.0])


def test_the_model_is_stored_as_json_and_scores_the_same_after() -> None:
    rows, churned = history(300, seed=4)
    m = train(INPUTS, rows, churned)
    again = Trained.from_json(m.to_json())
    assert again == m and again.score([100.0, 5000.0, 2.0]) == m.score([100.0, 5000.0, 2.0])


def test_training_is_repeatable() -> None:
    rows, churned = history(300, seed=5)
    assert train(INPUTS, rows, churned) == train(INPUTS, rows, churned)


def test_too_little_history_is_refused_with_counts() -> None:
    rows, churned = history(MIN_ROWS - 1)
    with pytest.raises(Invalid) as e:
        train(INPUTS, rows, churned)
    assert "churn_field" in e.value.field_errors
    rows, _ = history(200)
    with pytest.raises(Invalid):  # nobody churned: nothing to learn
        train(INPUTS, rows, [False] * 200)
    with pytest.raises(Invalid) as e:
        train([], [[]] * 100, [True, False] * 50)
    assert "inputs" in e.value.field_errors


def test_one_pass_explanation_agrees_with_score_and_contributions() -> None:
    rows, churned = history(400, seed=6)
    m = train(INPUTS, rows, churned)
    for values in ([5.0, None, 0.0], [300.0, 2_000.0, 1.0], [None, None, None], m.centre):
        assert m.explain(values) == (m.score(values), m.contributions(values))
