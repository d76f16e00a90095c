"""The Spark session a preparation runs in: local mode, a cluster master, or spark-submit's."""

from __future__ import annotations

import os
import re
import shutil
from typing import Iterable

from ..errors import CitegraphError

_CONF_KEY = re.compile(r"^spark\.[A-Za-z0-9_.\-]+$")

# small defaults that suit one machine; every one of them is overridden by a --conf of the same key
LOCAL_DEFAULTS = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "true",
}


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
    for key, value in {**LOCAL_DEFAULTS, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start, or the master is unreachable
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CitegraphError(f"cannot start Spark ({first[:300]}); check --master and the Java runtime") from None
