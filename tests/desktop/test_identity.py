"""One application id everywhere, and the macOS document types (issue 10)."""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path

from swarmview.desktop.identity import APP_ID, MIME_TYPE

REPO = Path(__file__).resolve().parents[2]


def test_macos_info_plist_declares_folders_and_json_as_alternate_viewer() -> None:
    info = plistlib.loads((REPO / "packaging" / "macos" / "Info.plist.fragment").read_bytes())
    assert info["CFBundleIdentifier"] == APP_ID
    types = {t["LSItemContentTypes"][0]: t for t in info["CFBundleDocumentTypes"]}
    assert set(types) == {"public.folder", "public.json"}
    assert all(t["LSHandlerRank"] == "Alternate" and t["CFBundleTypeRole"] == "Viewer" for t in types.values())
    assert (REPO / "packaging" / "macos" / info["CFBundleIconFile"]).read_bytes()[:4] == b"icns"


def test_metainfo_and_mime_package_use_the_app_id() -> None:
    linux = resources.files("swarmview.resources").joinpath("linux")
    meta = ET.fromstring(linux.joinpath(f"{APP_ID}.metainfo.xml").read_bytes())
    assert meta.findtext("id") == APP_ID
    assert meta.findtext("launchable") == f"{APP_ID}.desktop"
    mime = ET.fromstring(linux.joinpath(f"{APP_ID}.mime.xml").read_bytes())
    ns = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}
    mime_type = mime.find("m:mime-type", ns)
    assert mime_type is not None and mime_type.get("type") == MIME_TYPE
    glob = mime_type.find("m:glob", ns)
    assert glob is not None and glob.get("pattern") == "run.json" and glob.get("case-sensitive") == "true"


def test_icons_are_generated_from_the_master() -> None:
    icons = resources.files("swarmview.resources").joinpath("icons")
    assert icons.joinpath(f"{APP_ID}.svg").read_bytes() == (REPO / "resources" / "icon" / f"{APP_ID}.svg").read_bytes()
    for size in (16, 32, 48, 128, 256, 512):
        png = icons.joinpath("hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert (width, height) == (size, size)
    ico = (REPO / "packaging" / "windows" / "swarmview.ico").read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00" and int.from_bytes(ico[4:6], "little") >= 6
