import sys

from conformance.reporting.commands import main

sys.exit(main())
