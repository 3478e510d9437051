import sys

from reference_impl.serve import main

sys.exit(main())
