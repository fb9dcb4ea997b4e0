"""Windows: per-user "Open in swarmview" verbs on folders, folder backgrounds and JSON files.

Written under ``HKCU\\Software\\Classes`` (no administrator rights), as VS Code's installer does.
Windows can only match files by extension, so JSON files get a verb rather than a default handler.
The plan is data, so it is tested on any platform; only ``apply_with_winreg`` needs Windows.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

from swarmview.desktop.identity import APP_ID

CLASSES = r"Software\Classes"
VERB = "swarmview"
VERB_KEYS = (
    rf"{CLASSES}\Directory\shell\{VERB}",
    rf"{CLASSES}\Directory\Background\shell\{VERB}",
    rf"{CLASSES}\SystemFileAssociations\.json\shell\{VERB}",
)


@dataclass(frozen=True)
class RegistryValue:
    """One value to set under HKEY_CURRENT_USER (``name`` "" is the key's default value)."""

    key: str
    name: str
    value: str


def _quote(arg: str) -> str:
    return f'"{arg}"'


def registry_plan(launcher: Sequence[str], icon_path: str) -> list[RegistryValue]:
    """The values ``desktop install`` writes; ``%V`` is the folder, ``%1`` the file clicked."""
    command = " ".join(_quote(a) for a in launcher)
    plan: list[RegistryValue] = []
    for key, placeholder in zip(VERB_KEYS, ("%V", "%V", "%1"), strict=True):
        plan += [
            RegistryValue(key, "", "Open in swarmview"),
            RegistryValue(key, "Icon", icon_path),
            RegistryValue(key, "AppUserModelID", APP_ID),
            RegistryValue(rf"{key}\command", "", f'{command} open "{placeholder}"'),
        ]
    return plan


def apply_with_winreg(plan: Sequence[RegistryValue]) -> None:  # pragma: no cover - Windows only
    """Write the plan to the real registry and tell Explorer that associations changed."""
    if sys.platform != "win32":
        raise OSError("the Windows registry exists only on Windows")
    import ctypes
    import winreg

    for item in plan:
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, item.key, 0, winreg.KEY_SET_VALUE) as key:
            winreg.SetValueEx(key, item.name, 0, winreg.REG_SZ, item.value)
    _notify_assoc_changed(ctypes)


def remove_with_winreg() -> None:  # pragma: no cover - Windows only
    """Delete the verb keys (their ``command`` subkeys first); absent keys are fine."""
    if sys.platform != "win32":
        raise OSError("the Windows registry exists only on Windows")
    import ctypes
    import winreg

    for key in VERB_KEYS:
        for sub in (rf"{key}\command", key):
            try:
                winreg.DeleteKey(winreg.HKEY_CURRENT_USER, sub)
            except FileNotFoundError:
                pass
    _notify_assoc_changed(ctypes)


def _notify_assoc_changed(ctypes: object) -> None:  # pragma: no cover - Windows only
    shcne_assocchanged, shcnf_idlist = 0x08000000, 0x0000
    ctypes.windll.shell32.SHChangeNotify(shcne_assocchanged, shcnf_idlist, None, None)  # type: ignore[attr-defined]
