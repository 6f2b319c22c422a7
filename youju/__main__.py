import sys

from youju.cli import main

sys.exit(main())
