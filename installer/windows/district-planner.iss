; Inno Setup script: District Planner for Windows, from the PyInstaller folder.
; UNTESTED (no Windows machine here). Build on Windows after installer\district-planner.spec:
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" installer\windows\district-planner.iss
; Output: dist\district-planner-setup-0.1.0.exe. Per-user install (no admin rights needed),
; which planning offices without IT help often require.

#define AppVersion "0.1.0"

[Setup]
AppId={{6C0B7C1E-5D1E-4C55-9B57-2C3A8F0D7A11}
AppName=District Planner
AppVersion={#AppVersion}
AppPublisher=District Planner developers
DefaultDirName={localappdata}\Programs\District Planner
DefaultGroupName=District Planner
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=district-planner-setup-{#AppVersion}
Compression=lzma2
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
UninstallDisplayIcon={app}\district-planner.exe
WizardStyle=modern

[Files]
Source: "..\..\dist\district-planner\*"; DestDir: "{app}"; Flags: recursesubdirs ignoreversion

[Icons]
Name: "{group}\District Planner"; Filename: "{app}\district-planner.exe"
Name: "{autodesktop}\District Planner"; Filename: "{app}\district-planner.exe"; Tasks: desktopicon

[Tasks]
Name: "desktopicon"; Description: "Create a desktop shortcut"; Flags: unchecked

[Run]
Filename: "{app}\district-planner.exe"; Parameters: "selftest"; Description: "Check the installation (selftest)"; Flags: postinstall skipifsilent runhidden unchecked
