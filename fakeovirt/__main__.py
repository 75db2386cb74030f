"""`python -m fakeovirt` is the `fakeovirt` command."""

from .cli import main

raise SystemExit(main())
