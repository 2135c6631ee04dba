"""Start the gateviz app: ``python main.py [MODEL [INPUT]]``."""

import sys

from gateviz.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
