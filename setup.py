"""Build step of the wheel: the shipped checkpoints go into the package as ``poseapp/_models/``.

Everything else is in pyproject.toml. ``models/`` at the repository root stays
the one copy in the source tree (``poseapp publish`` writes there); the build
copies the files that ship (``poseapp/runtime/shipping.py``) into the build
folder only, so a wheel (and ``pip install .``) finds its weights without a
checkout. An editable install reads the checkout's ``models/`` directly.
"""
import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_poseapp_shipping", ROOT / "poseapp" / "runtime" / "shipping.py")
shipping = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shipping)


class build_py_with_models(build_py):
    """``build_py`` that also copies ``models/`` (what ships of it) to ``<build>/poseapp/_models/``."""

    def run(self):
        super().run()
        if not self.editable_mode:
            self._models = shipping.copy_shipped(ROOT / "models", Path(self.build_lib) / "poseapp" / shipping.PACKAGED_DIR)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [str(p) for p in getattr(self, "_models", [])]


setup(cmdclass={"build_py": build_py_with_models})
