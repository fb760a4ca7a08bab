"""PyInstaller hook for District Planner itself.

The command line imports its subcommands by name (``cli.COMMAND_MODULES``) so that opening
the app does not pay for the analysis stack; static analysis cannot follow those imports,
so every module of the package is collected.
"""

from PyInstaller.utils.hooks import collect_submodules

hiddenimports = collect_submodules("districtplanner")
