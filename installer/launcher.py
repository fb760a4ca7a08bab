"""Entry point of the bundled application (PyInstaller runs this file as ``__main__``)."""

from districtplanner.cli import main

raise SystemExit(main())
