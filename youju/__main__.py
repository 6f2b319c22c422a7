import sys

from youju.app.cli import main

sys.exit(main())
