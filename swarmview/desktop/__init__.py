"""Desktop integration per platform: Linux (freedesktop), Windows (per-user registry verbs).

macOS needs no installer step: the app bundle's Info.plist declares its document types
(``packaging/macos/``) and opened paths arrive as ``QFileOpenEvent``. Nothing here imports Qt.
"""
