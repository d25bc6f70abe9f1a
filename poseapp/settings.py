"""The pipeline's settings, declared once.

``Settings`` holds every knob a user sets: which network and detector run, the
detector's confidence and cadence, the decoder and flip test, the One Euro
filter and what is drawn. Each field carries its metadata (``Meta``: label,
help, command-line flag, range and step or choices, the settings panel's box)
and everything else is generated from it:

- the command line: ``add_setting_args`` adds the flags (``annotate``, ``gui``,
  ``export``, ``quantize``), ``values_from_args`` reads them back and
  ``validate`` checks them against the ranges;
- the desktop app: its settings panel builds one widget per field with a
  ``group`` (``poseapp.gui.widgets.settings_panel``) and QSettings stores every
  field the app takes (``poseapp.gui.settings``), a bad stored value reading
  back as the default;
- the pipeline: ``poseapp.pipeline.PipelineConfig`` is a ``Settings``, and its
  stages (detector threshold, detection cadence, smoother, drawing) read these
  fields on every frame, so a value changed while frames flow is used on the next
  one.

Torch-free (and Qt-free): ``poseapp --help`` builds its parsers from it.
"""
from __future__ import annotations

import argparse
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from .defaults import BACKEND_CHOICES, DECODERS, DEFAULT_BACKEND, DEFAULT_MODEL
from .errors import PoseappError


@dataclass(frozen=True)
class Meta:
    help: str  # --help text and the widget's tooltip
    flag: str | None = None  # command-line flag; None: not on the command line
    default_text: str | None = None  # --help's "(default ...)" when the value alone does not say it
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    lo: float | None = None  # valid range, for the command line, stored values and the widget alike
    hi: float | None = None
    step: float | None = None  # the widget's step
    decimals: int = 2
    app: bool = True  # the desktop app takes it (a ``gui`` flag) and remembers it between runs
    group: str = ""  # the settings panel's box for a widget built from this field ("": no generated widget)
    label: str = ""  # the widget's row label (a check box: its text)
    row: str = ""  # a check box's row label; check boxes with the same row share it
    enabled_by: str = ""  # a bool setting that enables the widget


def _setting(default, **meta) -> Any:
    return field(default=default, metadata={"setting": Meta(**meta)})


DETECTOR = "Person detector"
SMOOTHING = "Smoothing (One Euro)"
DISPLAY = "Display"


@dataclass
class Settings:
    model: str = _setting(DEFAULT_MODEL, flag="--model", help="pose network, as 'poseapp models' lists them")
    backend: str = _setting(DEFAULT_BACKEND, flag="--backend", choices=BACKEND_CHOICES,
                            help="runtime; auto: the shipped int8 model where it was measured faster and within "
                                 "0.01 AP, else onnx (onnx-int8 needs an int8 file: shipped or 'poseapp quantize')")
    detector: str = _setting("", flag="--detector", metavar="PATH", default_text="$POSEAPP_DETECTOR or yolo11n.pt",
                             help="detector file (.onnx/.pt) or ultralytics name")
    det_conf: float = _setting(0.3, flag="--det-conf", metavar="P", lo=0.01, hi=0.99, step=0.05,
                               group=DETECTOR, label="Confidence", help="detector confidence threshold")
    det_every: int = _setting(1, flag="--det-every", metavar="K", lo=1, hi=100, step=1, group=DETECTOR,
                              label="Detect every", help="run the detector every K frames; in between, boxes follow the poses")
    decoder: str | None = _setting(None, flag="--decoder", choices=DECODERS, app=False,
                                   default_text="the checkpoint's; argmax for checkpoints that record none",
                                   help="heatmap decoder")
    flip_test: bool | None = _setting(None, flag="--flip", app=False,
                                      default_text="the checkpoint's; off for checkpoints that record none",
                                      help="flip test: average with the mirrored crop")
    smooth: bool = _setting(True, flag="--smooth", group=SMOOTHING, row="Smoothing", label="on",
                            help="One Euro smoothing of the keypoints")
    min_cutoff: float = _setting(1.0, flag="--min-cutoff", metavar="HZ", lo=0.01, hi=20.0, step=0.1, group=SMOOTHING,
                                 label="Min cutoff Hz", enabled_by="smooth",
                                 help="One Euro min cutoff in Hz: lower = steadier when still, more lag")
    beta: float = _setting(0.05, flag="--beta", metavar="B", lo=0.0, hi=5.0, step=0.01, decimals=3, group=SMOOTHING,
                           label="Beta", enabled_by="smooth",
                           help="One Euro speed coefficient: higher = less lag when moving")
    d_cutoff: float = _setting(1.0, app=False, lo=0.01, help="One Euro cutoff of the speed estimate in Hz")
    kpt_threshold: float = _setting(0.3, flag="--kpt-threshold", metavar="S", lo=0.0, hi=1.0, step=0.05, group=DISPLAY,
                                    label="Keypoint threshold", help="keypoints scored below this are not drawn")
    show_boxes: bool = _setting(False, flag="--show-boxes", group=DISPLAY, row="Show", label="boxes",
                                help="draw each person's box")
    show_ids: bool = _setting(True, flag="--show-ids", group=DISPLAY, row="Show", label="track ids",
                              help="draw each person's track id")
    thickness: int = _setting(2, app=False, lo=1, help="line thickness of the skeletons in px at 640 px")


SETTINGS: dict[str, Meta] = {f.name: f.metadata["setting"] for f in fields(Settings)}
DEFAULTS = Settings()
# each setting's type: the first of its annotation ("bool | None" -> bool)
KIND: dict[str, type] = {f.name: {"bool": bool, "int": int, "float": float, "str": str}[str(f.type).split("|")[0].strip()]
                         for f in fields(Settings)}


def app_settings() -> list[str]:
    """The settings the desktop app takes on its command line and remembers."""
    return [name for name, m in SETTINGS.items() if m.app]


def panel_settings() -> list[str]:
    """The settings the panel builds a widget for (in panel order)."""
    return [name for name, m in SETTINGS.items() if m.group]


def cli_settings(app: bool = False) -> list[str]:
    """The settings with a command-line flag (``app``: only those the desktop app takes)."""
    return [name for name, m in SETTINGS.items() if m.flag and (m.app or not app)]


def values(obj, names: Iterable[str] | None = None) -> dict[str, Any]:
    """``{name: value}`` of the settings ``obj`` has (a ``Settings``, a subclass, or anything with those attributes)."""
    return {n: getattr(obj, n) for n in (SETTINGS if names is None else names)}


def update(obj, new: Mapping[str, Any]) -> None:
    """Set settings on ``obj`` (names that are not settings are a bug)."""
    for name, value in new.items():
        if name not in SETTINGS:
            raise KeyError(f"{name!r} is not a setting")
        setattr(obj, name, value)


# ---------------------------------------------------------------- checking and converting
def check(name: str, value) -> Any:
    """``value`` if it is valid for setting ``name`` (ints and floats as such), else ValueError."""
    m, kind = SETTINGS[name], KIND[name]
    if value is None:
        if getattr(DEFAULTS, name) is None:
            return None
        raise ValueError("needs a value")
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"expected on or off, not {value!r}")
        return value
    if kind in (int, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            raise ValueError(f"expected a number, not {value!r}")
        if kind is int and value != int(value):
            raise ValueError(f"expected a whole number, not {value!r}")
        value = kind(value)
        if (m.lo is not None and value < m.lo) or (m.hi is not None and value > m.hi):
            raise ValueError(_range_text(m))
        return value
    if not isinstance(value, str):
        raise ValueError(f"expected text, not {value!r}")
    if m.choices and value not in m.choices:
        raise ValueError(f"expected one of {', '.join(m.choices)}")
    return value


def parse(name: str, text) -> Any:
    """A stored value (QSettings INI files hold text) as setting ``name``; ValueError when it is not valid."""
    kind = KIND[name]
    if text == "" and getattr(DEFAULTS, name) is None:
        return None
    if kind is bool and not isinstance(text, bool):
        word = str(text).strip().lower()
        if word not in _BOOL_WORDS:
            raise ValueError(f"expected true or false, not {text!r}")
        text = _BOOL_WORDS[word]
    elif kind in (int, float) and (isinstance(text, bool) or not isinstance(text, (int, float))):
        text = float(str(text).strip())
    elif kind is str:
        text = str(text)
    return check(name, text)


_BOOL_WORDS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}


def _range_text(m: Meta) -> str:
    if m.hi is None:
        return f"must be {m.lo:g} or more"
    return f"must be between {m.lo:g} and {m.hi:g}"


def validate(given: Mapping[str, Any]) -> None:
    """PoseappError naming the flag of the first of these settings out of its range or choices."""
    for name, value in given.items():
        try:
            check(name, value)
        except ValueError as exc:
            raise PoseappError(f"{SETTINGS[name].flag or name} {exc}") from None


# ---------------------------------------------------------------- command line
def add_setting_args(parser: argparse.ArgumentParser, names: Iterable[str], remembered: bool = False) -> None:
    """Flags for ``names``, generated from the schema; each stores into ``args.<name>``.

    ``remembered``: the command starts from values it remembers (the desktop app), so a flag not given is
    None and ``values_from_args`` leaves it out.
    """
    for name in names:
        m, kind = SETTINGS[name], KIND[name]
        kwargs: dict[str, Any] = {"dest": name, "default": None if remembered else getattr(DEFAULTS, name)}
        if kind is bool:
            kwargs["action"] = argparse.BooleanOptionalAction
        else:
            if m.choices:
                kwargs["choices"] = m.choices
            elif kind in (int, float):
                kwargs["type"] = kind
            if m.metavar:
                kwargs["metavar"] = m.metavar
        parser.add_argument(m.flag, help=f"{m.help} (default{_default_text(name, remembered)})", **kwargs)


def _default_text(name: str, remembered: bool) -> str:
    if remembered:
        return ": the last one used"
    m, default = SETTINGS[name], getattr(DEFAULTS, name)
    if m.default_text:
        return f": {m.default_text}"
    if isinstance(default, bool):
        return " on" if default else " off"
    return f" {default:g}" if isinstance(default, float) else f" {default}"


def values_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """The settings ``args`` holds (``add_setting_args``), but not those that are None: flags not given
    (``remembered``), or "the checkpoint's" (which is the default anyway)."""
    return {n: getattr(args, n) for n in SETTINGS if getattr(args, n, None) is not None}
