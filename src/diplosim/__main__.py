import sys

from diplosim.cli import main

sys.exit(main())
