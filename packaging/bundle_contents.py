"""What the desktop bundle carries: the shipped models, what it leaves out, and the licences of the rest.

``poseapp-gui.spec`` takes from here
  - ``model_datas``: the files of ``models/`` that ship, placed where an installed
    poseapp looks for them (``poseapp/_models/``, the same list and place as the wheel);
  - ``EXCLUDES``: the modules left out;
  - ``bundled_components`` + ``write_licenses``: after the build, which Python
    distributions (and the Python runtime, and poseapp itself) the collected
    files came from, their licence, and their licence texts copied into the
    bundle's ``licenses/`` folder, listed in ``licenses/BUNDLED.md``.

``python packaging/bundle_contents.py`` prints the same list for this
environment without a build (poseapp's runtime requirements, as installed,
without the excluded ones); ``--write DIR`` also copies the texts there.

Licence texts are what each wheel ships (its ``.dist-info`` licence files and
licence files inside the package, e.g. ``cv2/LICENSE-3RD-PARTY.txt``). A wheel
that ships none (PySide6, shiboken6) and the libraries bundled inside PyAV's
wheel get the standard texts from ``/usr/share/common-licenses`` (Debian/Ubuntu)
where that folder exists; the list says which texts came from there and which
are missing. Standard library only: the spec loads this before anything else.
"""
from __future__ import annotations

import argparse
import importlib.metadata as md
import importlib.util
import os
import re
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]

# modules the app never uses, left out of the bundle (PyInstaller ``excludes``)
EXCLUDES = [
    "tkinter", "matplotlib", "IPython", "jupyter", "notebook", "pytest", "pytestqt", "tensorboard",
    "PySide6.QtQuick", "PySide6.QtQml", "PySide6.QtQuick3D", "PySide6.QtWebEngineCore", "PySide6.Qt3DCore",
    "PySide6.QtDesigner", "PySide6.QtHelp", "PySide6.QtSql", "PySide6.QtTest", "PyQt5", "PyQt6",
    "torch.utils.tensorboard", "sympy.plotting", "pandas.plotting",
    "poseapp.training", "ai_edge_litert",
    # torch.compile's GPU kernel compiler (0.9 GB) and ultralytics' optional dataframe library (170 MB)
    "triton", "polars",
]

COMMON_LICENSES = Path("/usr/share/common-licenses")
# SPDX identifier (without -only/-or-later) -> file in /usr/share/common-licenses
SPDX_TEXTS = {"Apache-2.0": "Apache-2.0", "GPL-2.0": "GPL-2", "GPL-3.0": "GPL-3", "LGPL-2.1": "LGPL-2.1",
              "LGPL-3.0": "LGPL-3", "MPL-2.0": "MPL-2.0", "CC0-1.0": "CC0-1.0"}
# licence names some wheels use instead of SPDX identifiers
ALIASES = {"Apache 2.0": "Apache-2.0", "Apache License 2.0": "Apache-2.0", "Apache Software License": "Apache-2.0",
           "Apache License, Version 2.0": "Apache-2.0"}
# texts a wheel needs but does not ship: PyAV's wheel carries FFmpeg built with libx264 and libx265
# (GPL-2.0-or-later; FFmpeg itself LGPL-2.1-or-later) in av.libs/, and only PyAV's own BSD text
EXTRA_TEXTS = {"av": ["GPL-2.0", "LGPL-2.1"]}
# the LGPL is a set of permissions on top of the GPL: its text goes with the GPL's
COMPANION = {"LGPL-3.0": "GPL-3.0", "LGPL-2.1": "GPL-2.0"}

_LICENCE_NAME = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|THIRDPARTYNOTICES|AUTHORS)", re.IGNORECASE)
_NOT_TEXT = {".py", ".pyc", ".pyi", ".so", ".pyd", ".dll", ".dylib", ".json", ".h", ".hpp", ".c", ".cc", ".cpp",
             ".png", ".svg", ".html", ".js", ".qml", ".pak", ".bin", ".a"}


@dataclass
class Component:
    """One source of bundled files: a distribution, the Python runtime or the project."""
    name: str
    version: str
    licence: str
    texts: list[tuple[Path, str]] = field(default_factory=list)  # (file, its path under licenses/<name>-<version>/)
    files: int | None = None  # how many bundled files came from it (None: not counted, no build)
    note: str = ""

    @property
    def folder(self) -> str:
        return f"{self.name}-{self.version}" if self.version else self.name


# --- models ------------------------------------------------------------------------------------------

def _shipping():
    spec = importlib.util.spec_from_file_location("_poseapp_shipping", ROOT / "poseapp" / "runtime" / "shipping.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model_datas(root: str | Path = ROOT) -> list[tuple[str, str]]:
    """PyInstaller ``datas`` for the shipped checkpoints: each file of ``root/models`` that a wheel carries,
    into ``poseapp/_models`` (where ``poseapp.runtime.manifest.models_dir`` finds it in a bundle)."""
    shipping = _shipping()
    dest = f"poseapp/{shipping.PACKAGED_DIR}"
    return [(str(p), dest) for p in shipping.shipped_files(Path(root) / "models")]


# --- licences ----------------------------------------------------------------------------------------

def licence_of(dist: md.Distribution) -> str:
    """A distribution's licence: its SPDX ``License-Expression``, else a short ``License`` field, else the
    licence classifiers, else ``UNKNOWN``."""
    meta = dist.metadata
    if meta.get("License-Expression"):
        return meta["License-Expression"].strip()
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) <= 80 and text.upper() != "UNKNOWN":
        return text
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or [] if c.startswith("License ::")]
    return " / ".join(classifiers) if classifiers else "UNKNOWN"


def _is_licence_file(path: PurePosixPath) -> bool:
    return bool(_LICENCE_NAME.search(path.name)) and path.suffix.lower() not in _NOT_TEXT


def _licence_dest(rel: PurePosixPath) -> str:
    """Where a licence file of a distribution goes under its folder: ``x.dist-info/licenses/a/LICENSE`` ->
    ``a/LICENSE``, ``x.dist-info/LICENSE`` -> ``LICENSE``, ``pkg/LICENSE.txt`` stays ``pkg/LICENSE.txt``."""
    parts = rel.parts
    if parts and parts[0].endswith(".dist-info"):
        parts = parts[2:] if len(parts) > 2 and parts[1] == "licenses" else parts[1:]
    return "/".join(parts)


def licence_files(dist: md.Distribution) -> list[tuple[Path, str]]:
    """The licence texts a distribution installed (``License-File`` entries and licence/notice files in its
    RECORD), as ``(file, destination)``."""
    out = {}
    for rel in dist.files or []:
        rel = PurePosixPath(str(rel))
        if (rel.parts and rel.parts[0] == "..") or not _is_licence_file(rel):
            continue
        path = Path(dist.locate_file(str(rel)))
        if path.is_file():
            out[_licence_dest(rel)] = path
    return sorted(((p, d) for d, p in out.items()), key=lambda t: t[1])


def spdx_ids(expression: str) -> list[str]:
    """The licence identifiers of an SPDX expression, without ``-only``/``-or-later``/``+``."""
    expression = ALIASES.get(expression.strip(), expression)
    ids = []
    for token in re.split(r"[\s()]+", expression):
        if not token or token.upper() in ("AND", "OR", "WITH"):
            continue
        token = re.sub(r"(-only|-or-later|\+)$", "", token)
        if token not in ids:
            ids.append(token)
    return ids


def common_texts(ids: list[str], base: Path = COMMON_LICENSES) -> tuple[list[tuple[Path, str]], list[str]]:
    """Standard texts for licence ``ids`` from ``base``: ``([(file, destination)], [ids without a text])``.

    Only licences whose text is the same for every project (GPL family, Apache-2.0, MPL-2.0, CC0); a BSD or
    MIT text names its copyright holders, so a generic one would be wrong and is never used.
    """
    wanted = []
    for i in ids:
        for j in (i, COMPANION.get(i)):
            if j in SPDX_TEXTS and j not in wanted:
                wanted.append(j)
    found, missing = [], []
    for i in wanted:
        path = base / SPDX_TEXTS[i]
        if path.is_file():
            found.append((path, f"{i}.txt"))
        else:
            missing.append(i)
    return found, missing


class Owners:
    """Which installed distribution a file belongs to (from every distribution's RECORD)."""

    def __init__(self, dists=None) -> None:
        self.by_path: dict[str, md.Distribution] = {}
        self.dists: dict[str, md.Distribution] = {}
        for dist in dists if dists is not None else md.distributions():
            name = dist.metadata["Name"]
            if not name or name in self.dists:  # the first on sys.path wins, as for imports
                continue
            self.dists[name] = dist
            base = os.path.realpath(dist.locate_file(""))
            for rel in dist.files or []:
                self.by_path.setdefault(os.path.normpath(os.path.join(base, str(rel))), dist)

    def owner(self, path: str | os.PathLike) -> md.Distribution | None:
        return self.by_path.get(os.path.realpath(path))


def project_component(root: Path = ROOT) -> Component:
    """poseapp itself: Apache-2.0 (pyproject.toml); the repository's LICENSE file if it has one, else the
    standard Apache-2.0 text."""
    texts = [(p, p.name) for p in sorted(root.glob("LICEN[CS]E*")) + sorted(root.glob("NOTICE*")) if p.is_file()]
    note = ""
    if not texts:
        texts, missing = common_texts(["Apache-2.0"])
        note = "the repository has no LICENSE file; standard Apache-2.0 text" if texts else "no licence text found"
    version = ""
    init = root / "poseapp" / "__init__.py"
    if init.is_file():
        m = re.search(r'__version__\s*=\s*"([^"]+)"', init.read_text(encoding="utf-8"))
        version = m.group(1) if m else ""
    return Component("poseapp", version, "Apache-2.0", texts, note=note)


def python_component() -> Component:
    """The Python runtime and standard library (PSF-2.0)."""
    texts = [(p, "LICENSE.txt") for p in [Path(sys.base_prefix) / "lib" / f"python{sys.version_info.major}."
                                           f"{sys.version_info.minor}" / "LICENSE.txt"] if p.is_file()]
    return Component("python", ".".join(map(str, sys.version_info[:3])), "PSF-2.0", texts,
                     note="" if texts else "no licence text found")


def dist_component(dist: md.Distribution) -> Component:
    """A distribution: its licence and texts (the standard texts where the wheel lacks them, see EXTRA_TEXTS)."""
    licence = licence_of(dist)
    own = licence_files(dist)
    name = dist.metadata["Name"]
    extra = EXTRA_TEXTS.get(name, [])
    fallback_ids = extra if own else spdx_ids(licence) + extra
    notes, added = [], []
    if fallback_ids:
        added, missing = common_texts(fallback_ids)
        if added:
            why = "libraries bundled in the wheel" if own else "the wheel ships no licence text"
            notes.append(f"{why}: {', '.join(d[:-4] for _, d in added)} from {COMMON_LICENSES}")
        if missing:
            notes.append(f"no text found for {', '.join(missing)}")
    texts = own + [(p, f"common-licenses/{d}") for p, d in added]
    if not texts:
        notes.append("no licence text found")
    return Component(name, dist.version, licence, texts, note="; ".join(notes))


def bundled_components(paths, project_root: Path = ROOT, owners: Owners | None = None) -> tuple[list[Component], list[str]]:
    """The components that bundled files come from, and the files that come from none of them.

    ``paths`` are the collected source files (PyInstaller TOC entries ``(dest, src, kind)`` or plain paths).
    A file belongs to the installed distribution whose RECORD lists it, to the project when it is under
    ``project_root`` (poseapp's own code and models, an editable install), or to Python when it is under
    its installation (standard library, libpython); anything else (e.g. a system library) is returned apart.
    """
    owners = owners or Owners()
    project = os.path.realpath(project_root) + os.sep
    runtime = os.path.realpath(sys.base_prefix) + os.sep
    comps: dict[str, Component] = {}
    other = []
    for entry in paths:
        src = entry[1] if isinstance(entry, tuple) else entry
        if not src or not os.path.isfile(src):
            continue
        real = os.path.realpath(src)
        dist = owners.owner(real)
        if dist is not None:
            key = dist.metadata["Name"]
            if key not in comps:
                comps[key] = dist_component(dist)
                comps[key].files = 0
        elif real.startswith(project):
            key = "poseapp"
            if key not in comps:
                comps[key] = project_component(Path(project_root))
                comps[key].files = 0
        elif real.startswith(runtime):
            key = "python"
            if key not in comps:
                comps[key] = python_component()
                comps[key].files = 0
        else:
            other.append(real)
            continue
        comps[key].files += 1
    return sorted(comps.values(), key=lambda c: c.name.lower()), sorted(set(other))


def _escape(text: str) -> str:
    return text.replace("|", "\\|")


def listing(components: list[Component], other: list[str]) -> str:
    """``BUNDLED.md``: one row per component with its licence and where its texts are."""
    lines = ["# Bundled software and licences", "",
             "Every Python distribution the desktop bundle carries files from, its licence (from its metadata) and",
             "the folder here with the licence texts it ships. The bundle as a whole is distributed under the",
             "terms of the GNU AGPL-3.0 because it includes ultralytics (see packaging/README.md in the source).", "",
             "| component | version | licence | files in bundle | texts | note |",
             "| --- | --- | --- | ---: | --- | --- |"]
    for c in components:
        texts = f"`{c.folder}/` ({len(c.texts)})" if c.texts else "none"
        files = "-" if c.files is None else c.files
        lines.append(f"| {_escape(c.name)} | {c.version} | {_escape(c.licence)} | {files} | {texts} | {_escape(c.note)} |")
    if other:
        lines += ["", f"Files not from a Python distribution ({len(other)}, e.g. system libraries that PyInstaller "
                  "collected; their licences are not recorded here):", ""]
        lines += [f"- `{p}`" for p in other]
    return "\n".join(lines) + "\n"


def write_licenses(components: list[Component], out: str | Path, other: list[str] = ()) -> Path:
    """Copy each component's texts to ``out/<name>-<version>/`` and write ``out/BUNDLED.md``; returns it."""
    out = Path(out)
    if out.is_dir():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for c in components:
        for src, dest in c.texts:
            target = out / c.folder / dest
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, target)
    path = out / "BUNDLED.md"
    path.write_text(listing(components, list(other)), encoding="utf-8")
    return path


# --- without a build: poseapp's installed runtime requirements ------------------------------------------

def _requirements(dist: md.Distribution, extras: set[str]) -> list[tuple[str, set[str]]]:
    """``(name, requested extras)`` of what ``dist`` needs on this platform, with its ``extras`` asked for."""
    try:
        from packaging.requirements import Requirement  # pip's and setuptools' dependency
    except ImportError:  # without it: requirements without markers only
        return [(re.split(r"[\s<>=!~\[(;]", r, maxsplit=1)[0], set()) for r in dist.requires or [] if ";" not in r]
    out = []
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is not None and not any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
            continue
        out.append((req.name, set(req.extras)))
    return out


def runtime_closure(root: str = "poseapp") -> list[md.Distribution]:
    """``root``'s distribution and everything its requirements pull in (with the extras they ask for, not
    ``root``'s own extras), as installed here, without distributions whose top-level modules the bundle
    excludes (``EXCLUDES``)."""
    excluded_top = {e for e in EXCLUDES if "." not in e}
    tops: dict[str, set[str]] = {}
    for top, names in md.packages_distributions().items():
        for name in names:
            tops.setdefault(_key(name), set()).add(top)
    seen: dict[str, md.Distribution] = {}
    asked: dict[str, set[str]] = {}
    todo: list[tuple[str, set[str]]] = [(root, set())]
    while todo:
        name, extras = todo.pop()
        key = _key(name)
        if key in asked and extras <= asked[key]:
            continue
        asked[key] = asked.get(key, set()) | extras
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        if tops.get(key, set()) & excluded_top:
            continue
        seen[key] = dist
        todo += _requirements(dist, asked[key])
    return list(seen.values())


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="List what the desktop bundle would carry (poseapp's runtime "
                                            "requirements as installed here) with each one's licence.")
    p.add_argument("--write", metavar="DIR", help="also copy the licence texts and BUNDLED.md into DIR")
    args = p.parse_args(argv)
    comps = [project_component() if d.metadata["Name"] == "poseapp" else dist_component(d) for d in runtime_closure()]
    comps = sorted(comps + [python_component()], key=lambda c: c.name.lower())
    width = max(len(c.name) for c in comps)
    for c in comps:
        print(f"{c.name:<{width}}  {c.version:<14} {c.licence}  [{len(c.texts)} text(s)]" + (f"  ({c.note})" if c.note else ""))
    if args.write:
        print(f"wrote {write_licenses(comps, args.write)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
