import sys

from gateviz.cli import main

sys.exit(main())
