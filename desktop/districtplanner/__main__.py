from districtplanner.cli import main

raise SystemExit(main())
