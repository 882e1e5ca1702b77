"""A ``sitecustomize.py`` that makes ``import tensorflow`` (and keras) fail, as on a board: for the
subprocesses of the tests that check the runtime never needs TensorFlow (conftest's
``no_tensorflow_env``, the wheel install). At exit it writes TF_IMPORTED to stderr if TensorFlow
got imported anyway."""

from __future__ import annotations

import textwrap

BLOCK_TF = textwrap.dedent(
    """
    import sys
    class _NoTensorFlow:
        def find_spec(self, name, path=None, target=None):
            if name == "tensorflow" or name.startswith("tensorflow.") or name in ("keras", "tf_keras"):
                raise ImportError("tensorflow is blocked in this test")
    sys.meta_path.insert(0, _NoTensorFlow())
    import atexit
    atexit.register(lambda: sys.stderr.write(
        "TF_IMPORTED\\n" if any(m.split(".")[0] == "tensorflow" for m in sys.modules) else ""))
    """
)
