"""The demo trains both problems with the Trainer and reaches its accuracy targets."""

from lucidnet.demo import run_demo


def test_demo_trains_with_progress_and_reaches_the_targets(capsys):
    results = run_demo(seed=0)
    out, err = capsys.readouterr()
    assert results["breast_cancer"] >= 0.95
    assert results["moons"] >= 0.95
    assert "val_loss" in out and "held-out accuracy" in out and "* best" in out
    assert "val_loss=" in err and "batch" in err  # the live tqdm bar, on standard error
