"""Learning-rate schedules against their formulas; ReduceOnPlateau against scikit-learn."""

import math

import pytest

from lucidnet.training import (
    Constant,
    Cosine,
    InverseScaling,
    ReduceOnPlateau,
    StepDecay,
    get_schedule,
    schedule_names,
)


def rates(schedule, base=0.1, epochs=12, samples_per_epoch=50):
    return [schedule.rate(base, e, 2 * e, e * samples_per_epoch) for e in range(epochs)]


def test_constant():
    assert rates(Constant()) == [0.1] * 12


def test_inverse_scaling_uses_samples_seen_at_the_epoch_start():
    # η = η₀ / (t + 1)^power_t with t = examples seen before the epoch: 0, 50, 100, ...
    expected = [0.1 / (50 * e + 1) ** 0.25 for e in range(12)]
    assert rates(InverseScaling(power_t=0.25)) == pytest.approx(expected, rel=1e-15)
    assert rates(InverseScaling())[0] == 0.1  # the first epoch trains at η₀


def test_step_decay():
    # η = η₀ · γ^⌊e / s⌋
    got = rates(StepDecay(step_size=5, gamma=0.5))
    assert got == pytest.approx([0.1] * 5 + [0.05] * 5 + [0.025] * 2, rel=1e-15)


def test_cosine_without_warmup():
    T = 10
    got = rates(Cosine(total_epochs=T, min_lr=0.01))
    for e in range(T):
        expected = 0.01 + (0.1 - 0.01) * (1 + math.cos(math.pi * e / T)) / 2
        assert got[e] == pytest.approx(expected, rel=1e-14)
    assert got[0] == pytest.approx(0.1) and got[10:] == [0.01, 0.01]


def test_cosine_with_warmup():
    got = rates(Cosine(total_epochs=10, warmup_epochs=4), epochs=11)
    assert got[:4] == pytest.approx([0.025, 0.05, 0.075, 0.1])  # η₀ (e + 1) / w
    for e in range(4, 10):
        assert got[e] == pytest.approx(0.1 * (1 + math.cos(math.pi * (e - 4) / 6)) / 2)
    assert got[10] == 0.0


def sklearn_adaptive(losses, lr, tol, n_iter_no_change):
    """scikit-learn's learning_rate='adaptive' as written in _multilayer_perceptron.py."""
    best, count, out = math.inf, 0, []
    for loss in losses:
        out.append(lr)  # the rate this epoch trained with
        if loss > best - tol:
            count += 1
        else:
            count = 0
        if loss < best:
            best = loss
        if count > n_iter_no_change:
            lr /= 5.0
            count = 0
    return out


LOSSES = [1.0, 0.8, 0.79995, 0.7999, 0.81, 0.7, 0.7, 0.7, 0.69, 0.6899, 0.68] + [0.7] * 6


@pytest.mark.parametrize("n_iter_no_change", [1, 2, 3])
def test_reduce_on_plateau_reproduces_sklearn_adaptive(n_iter_no_change):
    schedule = ReduceOnPlateau(factor=0.2, patience=n_iter_no_change + 1, min_delta=1e-3)
    got = []
    for e, loss in enumerate(LOSSES):
        got.append(schedule.rate(0.1, e, 0, 0))
        schedule.on_epoch_end(loss)
    expected = sklearn_adaptive(LOSSES, 0.1, 1e-3, n_iter_no_change)
    assert got == pytest.approx(expected, rel=1e-15)
    assert schedule.n_reductions >= 1


def test_reduce_on_plateau_two_bad_epochs_divide_by_five():
    schedule = ReduceOnPlateau(factor=0.2, patience=2)
    for loss in [1.0, 1.0, 1.0]:  # two epochs without improvement after the first
        schedule.on_epoch_end(loss)
    assert schedule.rate(0.1, 3, 0, 0) == pytest.approx(0.02)
    assert schedule.wait == 0 and schedule.best == 1.0


def test_reduce_on_plateau_min_lr_and_max_mode():
    schedule = ReduceOnPlateau(factor=0.5, patience=1, min_lr=0.03, monitor="val_acc")
    assert schedule.mode == "max"
    for acc in [0.5, 0.4, 0.3, 0.2]:
        schedule.on_epoch_end(acc)
    assert schedule.rate(0.1, 4, 0, 0) == 0.03  # 0.1 · 0.5³ clipped at min_lr


def test_state_dict_round_trip():
    a = ReduceOnPlateau(patience=1)
    for loss in [1.0, 1.0, 0.5]:
        a.on_epoch_end(loss)
    b = ReduceOnPlateau(patience=1)
    b.load_state_dict(a.state_dict())
    assert (b.scale, b.best, b.wait, b.n_reductions) == (a.scale, a.best, a.wait, a.n_reductions)
    with pytest.raises(ValueError, match="schedule 'plateau'"):
        Constant().load_state_dict(a.state_dict())


def test_get_schedule():
    assert schedule_names() == ["constant", "invscaling", "step", "cosine", "plateau"]
    assert isinstance(get_schedule(None), Constant)
    assert isinstance(get_schedule("cosine", total_epochs=5), Cosine)
    s = StepDecay()
    assert get_schedule(s) is s
    with pytest.raises(ValueError, match="Unknown schedule 'linear'"):
        get_schedule("linear")


@pytest.mark.parametrize(
    "make",
    [
        lambda: StepDecay(step_size=0),
        lambda: Cosine(total_epochs=3, warmup_epochs=3),
        lambda: ReduceOnPlateau(factor=1.5),
        lambda: ReduceOnPlateau(patience=0),
    ],
)
def test_bad_parameters(make):
    with pytest.raises(ValueError):
        make()


def test_a_schedule_name_without_its_arguments_gets_a_clear_error():
    from lucidnet.training import get_schedule

    with pytest.raises(ValueError, match="Cosine\\(total_epochs=100\\)"):
        get_schedule("cosine")
