"""Suite-wide set-up."""

from __future__ import annotations

import signal

import pytest


@pytest.fixture(autouse=True, scope="session")
def ctrl_c_raises_keyboard_interrupt():
    """Ctrl-C as in a terminal, also when the suite runs as a background job.

    A shell that runs a command in the background without job control starts it with
    SIGINT ignored, and Python then keeps it ignored (and so do the processes it starts):
    the tests that send a real SIGINT would see nothing happen. Python's own handler is
    restored for the session; the processes the tests start inherit SIGINT's default.
    """
    previous = signal.getsignal(signal.SIGINT)
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)
