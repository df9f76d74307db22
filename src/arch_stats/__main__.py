import sys

from arch_stats.cli import main

sys.exit(main())
