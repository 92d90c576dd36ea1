# Shared fixtures of the ringbuf pytest suite: a unique ring name that is
# unlinked afterwards, the C tool and the build dir (from test/python.sh).
import os
import subprocess
import sys
import uuid

import pytest

import ringbuf

BUILD = os.environ.get("RINGBUF_BUILD", "build")
TOOL = os.environ.get("RINGBUF_TOOL", os.path.join(BUILD, "ringbuf"))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCALE = float(os.environ.get("TEST_SCALE", "1"))


def scaled(n):
    return max(1, int(n * SCALE))


@pytest.fixture
def ring_name():
    name = "pytest-rb-%d-%s" % (os.getpid(), uuid.uuid4().hex[:8])
    yield name
    try:
        ringbuf.unlink(name)
    except FileNotFoundError:
        pass


@pytest.fixture
def tool():
    if not os.access(TOOL, os.X_OK):
        pytest.skip("the ringbuf tool is not built: %s" % TOOL)
    return TOOL


def python_env():
    """The environment a child Python needs to import this build's module."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    return env


def run_python(code, *args, **kw):
    """Run code in a child interpreter (the same one as this test)."""
    return subprocess.Popen([sys.executable, "-c", code] + [str(a) for a in args],
                            env=python_env(), **kw)
