"""The Windows registry plan: per-user verbs on folders, folder backgrounds and .json (issue 10)."""

from __future__ import annotations

from swarmview.desktop.windows import VERB_KEYS, registry_plan


def test_plan_writes_only_per_user_verbs_with_quoted_absolute_commands() -> None:
    launcher = [r"C:\Program Files\swarmview\swarmview.exe"]
    plan = registry_plan(launcher, r"C:\Program Files\swarmview\swarmview.ico")
    keys = {item.key for item in plan}
    assert all(k.startswith("Software\\Classes\\") for k in keys)
    commands = {item.key: item.value for item in plan if item.key.endswith("\\command")}
    assert commands == {
        VERB_KEYS[0] + "\\command": r'"C:\Program Files\swarmview\swarmview.exe" open "%V"',
        VERB_KEYS[1] + "\\command": r'"C:\Program Files\swarmview\swarmview.exe" open "%V"',
        VERB_KEYS[2] + "\\command": r'"C:\Program Files\swarmview\swarmview.exe" open "%1"',
    }
    labels = [item.value for item in plan if item.name == "" and not item.key.endswith("command")]
    assert labels == ["Open in swarmview"] * 3
    assert not any("Directory\\shell\\open" in k for k in keys)  # never replaces the default folder verb
