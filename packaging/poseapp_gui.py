"""Entry point of the packaged desktop app: ``poseapp-gui [gui options]``.

OpenMP threads that spin while they wait starve everything else on a busy
machine (PyTorch pose inference measured 20x slower on 2 shared cores), so the
app asks them to sleep instead, before torch is loaded.
"""
import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from poseapp.gui.command import main  # noqa: E402  (after the environment is set)

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
