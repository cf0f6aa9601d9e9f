"""The one parameter checker of training/ (training/checks.py) and its sentence."""

import math

import numpy as np
import pytest

from lucidnet.training import SGD, Cosine, EarlyStopping, Trainer
from lucidnet.training.checks import check_choice, check_float, check_int, interval, invalid


def test_the_sentence_is_scikit_learns():
    error = invalid("SGD", "momentum", "a float in [0, 1)", 1.0)
    assert isinstance(error, ValueError)
    assert (
        str(error) == "The 'momentum' parameter of SGD must be a float in [0, 1). Got 1.0 instead."
    )
    with_hint = invalid("X", "p", "an int", "a", "Pass a number.")
    assert str(with_hint).endswith("Got 'a' instead. Pass a number.")


@pytest.mark.parametrize(
    "low, high, closed, text",
    [
        (0, 1, "left", "[0, 1)"),
        (0, 1, "right", "(0, 1]"),
        (0, 1, "both", "[0, 1]"),
        (0, None, "neither", "(0, inf)"),
        (0, None, "both", "[0, inf)"),  # an infinite end is always open
        (None, 2.5, "both", "(-inf, 2.5]"),
    ],
)
def test_interval_notation(low, high, closed, text):
    assert interval(low, high, closed) == text


@pytest.mark.parametrize(
    "value, ok",
    [
        (0.0, True),
        (0.5, True),
        (1.0, False),
        (-1e-12, False),
        (0, True),
        (np.float32(0.25), True),
        (True, False),
        (math.nan, False),
        ("0.5", False),
        (None, False),
    ],
)
def test_check_float_in_zero_one_half_open(value, ok):
    if ok:
        assert check_float("SGD", "momentum", value, 0, 1, closed="left") == float(value)
        assert type(check_float("SGD", "momentum", value, 0, 1, closed="left")) is float
    else:
        with pytest.raises(
            ValueError,
            match=r"^The 'momentum' parameter of SGD must be a float in \[0, 1\)\. Got .* instead",
        ):
            check_float("SGD", "momentum", value, 0, 1, closed="left")


def test_check_float_refuses_infinity_even_without_an_upper_bound():
    with pytest.raises(ValueError, match=r"a float in \(0, inf\)\. Got inf instead"):
        check_float("Adam", "epsilon", math.inf, 0, closed="neither")
    with pytest.raises(ValueError, match=r"a float in \(0, inf\)\. Got 0 instead"):
        check_float("Adam", "epsilon", 0, 0, closed="neither")


@pytest.mark.parametrize(
    "value, ok",
    [(1, True), (np.int64(7), True), (0, False), (2.0, False), (True, False), (11, False)],
)
def test_check_int(value, ok):
    if ok:
        got = check_int("StepDecay", "step_size", value, low=1, high=10)
        assert got == value and type(got) is int
    else:
        with pytest.raises(
            ValueError, match=r"'step_size' parameter of StepDecay must be an int in \[1, 10\]"
        ):
            check_int("StepDecay", "step_size", value, low=1, high=10)


def test_check_choice_lists_the_choices():
    assert check_choice("EarlyStopping", "mode", "min", ("auto", "min", "max")) == "min"
    with pytest.raises(ValueError, match=r"must be 'auto', 'min' or 'max'\. Got 'up' instead\."):
        check_choice("EarlyStopping", "mode", "up", ("auto", "min", "max"))
    with pytest.raises(ValueError, match=r"must be 0, 1 or 2\. Got 3 instead\."):
        check_choice("Trainer", "verbose", 3, (0, 1, 2))


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: SGD(momentum=1.5),
            "The 'momentum' parameter of SGD must be a float in [0, 1]. Got 1.5 instead.",
        ),
        (
            lambda: EarlyStopping(mode="up"),
            "The 'mode' parameter of EarlyStopping must be 'auto', 'min' or 'max'. "
            "Got 'up' instead.",
        ),
        (
            lambda: EarlyStopping(patience=0),
            "The 'patience' parameter of EarlyStopping must be an int in [1, inf). Got 0 instead.",
        ),
        (
            lambda: Cosine(total_epochs=3, warmup_epochs=3),
            "The 'warmup_epochs' parameter of Cosine must be an int in [0, 2]. Got 3 instead. "
            "The warm-up must end before total_epochs=3.",
        ),
    ],
)
def test_the_users_see_the_one_sentence(make, message):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value) == message


def test_the_trainer_checks_with_it():
    from lucidnet import Network

    for kwargs, message in [
        (
            {"batch_size": 0},
            "The 'batch_size' parameter of Trainer must be an int in [1, inf). Got 0 instead.",
        ),
        (
            {"alpha": -1.0},
            "The 'alpha' parameter of Trainer must be a float in [0, inf). Got -1.0 instead.",
        ),
        (
            {"clip_norm": 0.0},
            "The 'clip_norm' parameter of Trainer must be a float in (0, inf). Got 0.0 instead.",
        ),
        ({"verbose": 3}, "The 'verbose' parameter of Trainer must be 0, 1 or 2. Got 3 instead."),
    ]:
        with pytest.raises(ValueError) as info:
            Trainer(Network([2, 1]), **kwargs)
        assert str(info.value) == message


def test_a_value_of_the_wrong_kind_is_a_type_error():
    from lucidnet import Network

    error = invalid("Trainer", "callbacks", "lucidnet Callback objects", 3, error=TypeError)
    assert type(error) is TypeError
    with pytest.raises(TypeError, match=r"'callbacks' parameter of Trainer must be lucidnet"):
        Trainer(Network([2, 1]), callbacks=["print"])
    with pytest.raises(TypeError, match=r"must be True, False or an EarlyStopping\. Got 'yes'"):
        Trainer(Network([2, 1]), early_stopping="yes")
