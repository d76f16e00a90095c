"""The preparation as a spark-submit application: the arguments of `citegraph prepare`.

    spark-submit --master spark://head:7077 path/to/graph/prepare/submit.py s2 PATH... --out DIR

citegraph must be installed on the driver and the executors (they run its Python for the
version groups and titles). The session is spark-submit's: its --master and --conf apply.
"""

import sys

from graph.cli import main

if __name__ == "__main__":
    sys.argv = ["citegraph", "prepare", *sys.argv[1:]]
    main()
