"""The Spark session a preparation runs in: local mode, a cluster master, or spark-submit's."""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile
import warnings
from contextlib import contextmanager
from typing import Iterable, Iterator

from ..errors import CitegraphError

_CONF_KEY = re.compile(r"^spark\.[A-Za-z0-9_.\-]+$")

# small defaults that suit one machine; every one of them is overridden by a --conf of the same key
LOCAL_DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
}


# Spark's own log set to errors from the JVM's first line: its default profile prints a dozen
# start-up lines (log4j profile, host name, native Hadoop) after whatever citegraph says
LOG4J2 = """status = error
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
"""
# PySpark 4.x warns that it "does not yet fully support pandas >= 3.0.0"; what citegraph runs
# through pandas (its two pandas UDFs) is tested under pandas 3 (tests/test_prepare.py)
PANDAS_WARNING = "PySpark does not yet fully support pandas"


@contextmanager
def quiet_pandas_warning() -> Iterator[None]:
    """PySpark's warning about pandas 3 silenced inside the block (see :data:`PANDAS_WARNING`)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=PANDAS_WARNING, category=FutureWarning)
        yield


def log4j_options() -> str:
    """The JVM option that points log4j at :data:`LOG4J2` (a file written once per user)."""
    path = os.path.join(tempfile.gettempdir(), f"citegraph-spark-log4j2-{os.getuid() if hasattr(os, 'getuid') else 0}"
                        ".properties")
    try:
        with open(path, encoding="utf-8") as fh:
            current = fh.read()
    except OSError:
        current = None
    if current != LOG4J2:
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(LOG4J2)
        os.replace(tmp, path)
    return f"-Dlog4j2.configurationFile=file:{path}"


def parse_conf(pairs: Iterable[str]) -> dict[str, str]:
    """``key=value`` strings (Spark settings) as a dict; anything else is refused.

    >>> parse_conf(["spark.executor.memory=8g", "spark.sql.shuffle.partitions = 64"])
    {'spark.executor.memory': '8g', 'spark.sql.shuffle.partitions': '64'}
    """
    out = {}
    for pair in pairs:
        key, sep, value = str(pair).partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not _CONF_KEY.match(key) or not value:
            raise CitegraphError(f"--conf {pair!r} is not a Spark setting such as spark.executor.memory=8g")
        out[key] = value
    return out


def check_java() -> None:
    """Refuse early, with what to install, when no Java runtime is there (PySpark starts a JVM)."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return
    if shutil.which("java"):
        return
    raise CitegraphError("Spark needs a Java runtime (17 or newer) and none was found; install one "
                         "(Debian/Ubuntu: apt-get install default-jre-headless) or set JAVA_HOME")


def worker_python(master: str | None, conf: dict[str, str], environ) -> str | None:
    """The Python Spark's workers should run, to be put in ``PYSPARK_PYTHON`` (``None``: leave it alone).

    ``spark.pyspark.python`` in ``conf`` when given (PySpark itself reads only the environment variable when
    it starts a context in-process); else, on a local master and unless ``PYSPARK_PYTHON`` is set, this very
    interpreter. PySpark's default is whatever ``python3`` is first on the PATH, which for
    ``.venv/bin/citegraph`` run without activating the venv is the system's Python, without pandas or
    pyarrow: the first pandas UDF would fail. A cluster's workers have their own Python.

    >>> worker_python("local[2]", {}, {}) == sys.executable
    True
    >>> worker_python("yarn", {}, {}), worker_python(None, {}, {"PYSPARK_PYTHON": "/opt/py"})
    (None, None)
    """
    if conf.get("spark.pyspark.python"):
        return conf["spark.pyspark.python"]
    local = master is None or master.startswith("local")
    if not local or environ.get("PYSPARK_PYTHON"):
        return None
    return sys.executable


def spark_session(master: str | None = None, conf: dict[str, str] | None = None,
                  app_name: str = "citegraph prepare"):
    """A SparkSession: the running one (spark-submit, a notebook), else a new one on ``master``
    (default: PySpark's, i.e. ``local[*]``), with ``conf`` applied."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise CitegraphError("citegraph prepare needs PySpark: pip install 'citegraph[spark]' "
                             "(and a Java runtime, 17 or newer)") from None
    check_java()
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    python = worker_python(master, conf or {}, os.environ)
    if python:  # PySpark reads the workers' Python from the environment when the context starts
        os.environ["PYSPARK_PYTHON"] = python
    settings = {**LOCAL_DEFAULTS, **(conf or {})}
    # the quiet log first: a user's own driver options come after it and win
    settings["spark.driver.extraJavaOptions"] = " ".join(
        filter(None, [log4j_options(), settings.get("spark.driver.extraJavaOptions")]))
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        with quiet_pandas_warning():
            return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start, or the master is unreachable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CitegraphError(f"cannot start Spark ({first[:300]}); check --master and the Java runtime") from None
