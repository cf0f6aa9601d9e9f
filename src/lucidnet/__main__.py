"""``python -m lucidnet`` runs the command line."""

from lucidnet.cli import main

raise SystemExit(main())
