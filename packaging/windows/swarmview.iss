; Inno Setup script for a per-user swarmview install (no administrator rights).
; Build the one-folder app first (packaging/pyinstaller/build.sh on Windows), then: iscc swarmview.iss
; The registry entries are the same per-user verbs `swarmview desktop install` writes with winreg.

#define AppId "io.github.swarmview.SwarmView"
#define AppName "swarmview"
#define AppVersion "0.1.0"

[Setup]
AppId={#AppId}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=swarmview developers
DefaultDirName={localappdata}\Programs\swarmview
DefaultGroupName=swarmview
PrivilegesRequired=lowest
OutputBaseFilename=swarmview-{#AppVersion}-setup
SetupIconFile=swarmview.ico
UninstallDisplayIcon={app}\swarmview.exe
Compression=lzma2
SolidCompression=yes
LicenseFile=..\..\LICENSE

[Tasks]
Name: "contextmenu"; Description: "Add ""Open in swarmview"" to folder and .json context menus"; GroupDescription: "Explorer integration:"

[Files]
Source: "..\..\dist\swarmview\*"; DestDir: "{app}"; Flags: recursesubdirs createallsubdirs ignoreversion

[Icons]
Name: "{group}\swarmview"; Filename: "{app}\swarmview.exe"; AppUserModelID: "{#AppId}"

[Registry]
Root: HKCU; Subkey: "Software\Classes\Directory\shell\swarmview"; ValueType: string; ValueName: ""; ValueData: "Open in swarmview"; Tasks: contextmenu; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Directory\shell\swarmview"; ValueType: string; ValueName: "Icon"; ValueData: "{app}\swarmview.exe"; Tasks: contextmenu
Root: HKCU; Subkey: "Software\Classes\Directory\shell\swarmview\command"; ValueType: string; ValueName: ""; ValueData: """{app}\swarmview.exe"" open ""%V"""; Tasks: contextmenu
Root: HKCU; Subkey: "Software\Classes\Directory\Background\shell\swarmview"; ValueType: string; ValueName: ""; ValueData: "Open in swarmview"; Tasks: contextmenu; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\Directory\Background\shell\swarmview"; ValueType: string; ValueName: "Icon"; ValueData: "{app}\swarmview.exe"; Tasks: contextmenu
Root: HKCU; Subkey: "Software\Classes\Directory\Background\shell\swarmview\command"; ValueType: string; ValueName: ""; ValueData: """{app}\swarmview.exe"" open ""%V"""; Tasks: contextmenu
Root: HKCU; Subkey: "Software\Classes\SystemFileAssociations\.json\shell\swarmview"; ValueType: string; ValueName: ""; ValueData: "Open in swarmview"; Tasks: contextmenu; Flags: uninsdeletekey
Root: HKCU; Subkey: "Software\Classes\SystemFileAssociations\.json\shell\swarmview"; ValueType: string; ValueName: "Icon"; ValueData: "{app}\swarmview.exe"; Tasks: contextmenu
Root: HKCU; Subkey: "Software\Classes\SystemFileAssociations\.json\shell\swarmview\command"; ValueType: string; ValueName: ""; ValueData: """{app}\swarmview.exe"" open ""%1"""; Tasks: contextmenu
