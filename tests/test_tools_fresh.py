"""Every tool started as a user starts it the first time: ``python
path/to/tool.py --help`` from a fresh interpreter in a folder of their own.
It imports what it needs by itself, builds its parser before doing anything
else, and writes nothing."""
import concurrent.futures
import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def is_tool(path):
    """A script (a ``__main__`` block), not a module its siblings import
    (``benchmark_common.py``)."""
    with open(path) as f:
        return "if __name__ == '__main__':" in f.read()


TOOLS = sorted(
    os.path.relpath(p, ROOT)
    for p in glob.glob(os.path.join(ROOT, 'tools', '**', '*.py'),
                       recursive=True) if is_tool(p))


def test_every_tool_is_listed():
    assert len(TOOLS) >= 27
    assert 'tools/train.py' in TOOLS and 'tools/test.py' in TOOLS
    assert 'tools/analysis_tools/benchmark.py' in TOOLS
    assert 'tools/analysis_tools/benchmark_common.py' not in TOOLS


@pytest.fixture(scope='module')
def answers(tmp_path_factory):
    """Every tool's ``--help``, two at a time (one thread each: the imports
    are what takes the time), each in an empty folder of its own; a future
    of the finished process and its folder, by tool."""
    env = dict(os.environ, OMP_NUM_THREADS='1')

    def answer(tool, folder):
        return subprocess.run(
            [sys.executable, os.path.join(ROOT, tool), '--help'], cwd=folder,
            env=env, capture_output=True, text=True, timeout=300), folder

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        yield {tool: pool.submit(answer, tool,
                                 tmp_path_factory.mktemp('elsewhere'))
               for tool in TOOLS}


@pytest.mark.slow
@pytest.mark.parametrize('tool', TOOLS)
def test_tool_answers_help_from_a_fresh_interpreter_elsewhere(tool, answers):
    proc, folder = answers[tool].result()
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert proc.stdout.startswith('usage: '), proc.stdout[:400]
    assert os.path.basename(tool) in proc.stdout.splitlines()[0]
    assert os.listdir(folder) == []
