"""The suite's warm starts (harness/warm_start.py): which environments may start from the warm
interpreter, which must start cold, and `python -c` forked as it would run fresh.

    python -m pytest tests/test_warm_start.py
"""

from __future__ import annotations

import os

from harness.server import ROOT
from harness.warm_start import APP_DEFAULTS, fits

BASE = {**APP_DEFAULTS, "PATH": "/usr/bin", "HOME": "/root"}  # what the warm interpreter started with


def test_the_apps_settings_its_port_and_pytests_own_variables_start_warm():
    env = {**BASE, "DIGIT_DATA": "/tmp/data", "GRADIO_SERVER_PORT": "7861", "PYTEST_CURRENT_TEST": "x"}
    assert fits(env, BASE)


def test_a_training_run_in_the_test_process_leaves_later_starts_warm():
    # importing torch's inductor config (a training run does) sets this in the test process; the
    # warm interpreter has imported it too: every later start of the worker had gone cold
    assert fits({**BASE, "TORCHINDUCTOR_CACHE_DIR": "/tmp/torchinductor_root"}, BASE)


def test_what_is_read_at_import_starts_cold():
    # a ZeroGPU Space's `spaces` must patch torch before it is imported: not in a warm interpreter
    assert not fits({**BASE, "SPACES_ZERO_GPU": "true", "PYTHONPATH": "/tmp/spaces"}, BASE)
    assert not fits({**BASE, "HF_HUB_OFFLINE": "0"}, BASE)  # read by huggingface_hub at import


def test_python_c_runs_forked_as_it_would_in_a_fresh_interpreter(warm_starts):
    code = "import sys; print(sys.argv, __name__, repr(sys.path[0])); sys.exit(3)"
    result = warm_starts.run(["-c", code, "a", "b"], dict(os.environ), ROOT)
    assert (result.returncode, result.stdout) == (3, "['-c', 'a', 'b'] __main__ ''\n"), result.stderr
    result = warm_starts.run(["-c", "raise ValueError('no such digit')"], dict(os.environ), ROOT)
    assert result.returncode == 1 and result.stderr.strip().endswith("ValueError: no such digit")
