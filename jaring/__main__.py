from jaring.cli import main

raise SystemExit(main())
