import sys

from lavalink_py.cli import main

sys.exit(main())
