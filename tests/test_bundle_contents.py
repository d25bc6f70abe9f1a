"""Issue 15: what the desktop bundle carries (packaging/bundle_contents.py), without a PyInstaller build:
the shipped models in the wheel's place, and the licence of every bundled file's distribution with its texts."""
from __future__ import annotations

import importlib.metadata as md
import importlib.util
import json
import sys
from pathlib import Path


from poseapp.runtime.shipping import shipped_files

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("bundle_contents", REPO / "packaging" / "bundle_contents.py")
bc = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bundle_contents", bc)  # dataclasses look their module up while it loads
_spec.loader.exec_module(bc)


def _fake_dist(site: Path, name: str, licence: str | None, files: dict[str, str]) -> md.Distribution:
    """An installed distribution in ``site``: METADATA, RECORD and ``files`` (path -> text)."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir(parents=True)
    meta = ["Metadata-Version: 2.4", f"Name: {name}", "Version: 1.0"]
    if licence:
        meta.append(f"License-Expression: {licence}")
    (info / "METADATA").write_text("\n".join(meta) + "\n")
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    (info / "RECORD").write_text("".join(f"{rel},,\n" for rel in [*files, f"{info.name}/METADATA"]))
    return next(d for d in md.distributions(path=[str(site)]) if d.metadata["Name"] == name)


def test_models_go_where_the_wheel_puts_them() -> None:
    datas = bc.model_datas(REPO)
    assert {Path(src).name for src, _ in datas} == {p.name for p in shipped_files(REPO / "models")}
    assert {dest for _, dest in datas} == {"poseapp/_models"}
    assert any(Path(src).name == "manifest.json" for src, _ in datas)


def test_excludes_are_the_spec_ones() -> None:
    spec = (REPO / "packaging" / "poseapp-gui.spec").read_text()
    assert "excludes = bundle_contents.EXCLUDES" in spec and "bundle_contents.model_datas(ROOT)" in spec
    assert {"triton", "polars", "poseapp.training"} <= set(bc.EXCLUDES)


def test_files_are_traced_to_their_distribution_and_texts_copied(tmp_path) -> None:
    site = tmp_path / "site"
    agpl = _fake_dist(site, "agplthing", "AGPL-3.0-only", {
        "agplthing/__init__.py": "", "agplthing/core.so": "binary",
        "agplthing-1.0.dist-info/licenses/LICENSE": "GNU AFFERO GENERAL PUBLIC LICENSE",
        "agplthing/third_party/zlib/COPYING.txt": "zlib licence", "agplthing/license.py": "code, not a text"})
    bare = _fake_dist(site, "barelgpl", "LGPL-3.0-only", {"barelgpl/__init__.py": ""})  # ships no text
    owners = bc.Owners([agpl, bare])
    stray = tmp_path / "libsystem.so"
    stray.write_text("")
    toc = [("agplthing", str(site / "agplthing/__init__.py"), "PYMODULE"),
           ("agplthing/core.so", str(site / "agplthing/core.so"), "BINARY"),
           ("barelgpl", str(site / "barelgpl/__init__.py"), "PYMODULE"),
           ("json", json.__file__, "PYMODULE"),  # the standard library
           ("poseapp.cli", str(REPO / "poseapp" / "cli.py"), "PYMODULE"),
           ("poseapp/_models/manifest.json", str(REPO / "models" / "manifest.json"), "DATA"),
           ("libsystem.so", str(stray), "BINARY"),
           ("gone", str(tmp_path / "missing.py"), "PYMODULE")]
    comps, other = bc.bundled_components(toc, project_root=REPO, owners=owners)
    by = {c.name: c for c in comps}
    assert set(by) == {"agplthing", "barelgpl", "python", "poseapp"} and other == [str(stray.resolve())]
    assert by["agplthing"].files == 2 and by["poseapp"].files == 2 and by["python"].files == 1
    assert by["agplthing"].licence == "AGPL-3.0-only" and by["poseapp"].licence == "Apache-2.0"
    assert sorted(d for _, d in by["agplthing"].texts) == ["LICENSE", "agplthing/third_party/zlib/COPYING.txt"]

    listing = bc.write_licenses(comps, tmp_path / "licenses", other)
    out = tmp_path / "licenses"
    assert (out / "agplthing-1.0" / "LICENSE").read_text() == "GNU AFFERO GENERAL PUBLIC LICENSE"
    assert (out / "agplthing-1.0" / "agplthing/third_party/zlib/COPYING.txt").is_file()
    assert not list(out.rglob("license.py"))
    text = listing.read_text()
    assert "| agplthing | 1.0 | AGPL-3.0-only | 2 | `agplthing-1.0/` (2) |" in text
    assert "libsystem.so" in text and "AGPL-3.0" in text.splitlines()[4]
    if bc.COMMON_LICENSES.is_dir():  # Debian/Ubuntu: the LGPL's and the GPL's standard texts stand in
        assert {d for _, d in by["barelgpl"].texts} == {"common-licenses/LGPL-3.0.txt", "common-licenses/GPL-3.0.txt"}
        assert "the wheel ships no licence text" in by["barelgpl"].note
        assert (out / "barelgpl-1.0" / "common-licenses" / "LGPL-3.0.txt").is_file()
    else:
        assert by["barelgpl"].texts == [] and "no licence text found" in by["barelgpl"].note


def test_generic_texts_only_for_licences_that_have_one(tmp_path) -> None:
    base = tmp_path / "common"
    base.mkdir()
    for f in ("GPL-2", "GPL-3", "LGPL-3", "BSD", "Apache-2.0"):
        (base / f).write_text(f)
    found, missing = bc.common_texts(bc.spdx_ids("LGPL-3.0-only OR GPL-2.0-or-later"), base)
    assert [d for _, d in found] == ["LGPL-3.0.txt", "GPL-3.0.txt", "GPL-2.0.txt"] and missing == []
    found, _ = bc.common_texts(bc.spdx_ids("BSD-3-Clause AND MIT"), base)  # texts that name their authors
    assert found == []
    assert bc.spdx_ids("Apache 2.0") == ["Apache-2.0"]


def test_real_environment_licences() -> None:
    """In this environment: ultralytics is AGPL with its text; torch and OpenCV carry their texts."""
    comps = {c.name: c for c in (bc.dist_component(md.distribution(n)) for n in ("ultralytics", "torch", "opencv-python"))}
    assert "AGPL" in comps["ultralytics"].licence
    assert any("GNU AFFERO GENERAL PUBLIC LICENSE" in p.read_text(errors="replace") for p, _ in comps["ultralytics"].texts)
    assert comps["torch"].texts and comps["opencv-python"].texts


def test_listing_command_runs(capsys) -> None:
    assert bc.main([]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert {"poseapp", "python", "ultralytics", "torch", "PySide6_Essentials", "onnxruntime"} <= set(rows)
    assert "triton" not in rows and "polars" not in rows and "matplotlib" not in rows  # the spec's excludes
    assert "AGPL" in rows["ultralytics"]
