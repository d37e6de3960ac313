"""Run tools as ``python TOOL ARGS`` would, minus the imports each pays.

Started by ``user_utils`` as ``python -P tool_server.py MODULE...``: it
imports the given third-party modules once (a failing one is reported, not
fatal), then reads one JSON request a line on stdin and forks a child per
request. The child is set up as a fresh interpreter would be for the tool:

- ``sys.path`` is the tool's folder, then this interpreter's start-up path
  (``-P`` left out the server's own folder), not the test runner's;
- ``os.environ`` is the caller's at the call, the working folder the
  caller's ``cwd``, standard input ``/dev/null``;
- numpy's global generator is reseeded from the OS (``random`` is reseeded
  by Python at every fork), and torch's is reset to its start-up seed;
- its output goes to the files it is given; ``SystemExit`` and uncaught
  exceptions become the exit status, as the interpreter makes them.

The server answers ``{"pid": N}`` when the child starts and
``{"status": S}`` when it ends.
"""
import importlib
import json
import os
import runpy
import sys
import traceback

START_PATH = list(sys.path)


def _reseed():
    if 'numpy' in sys.modules:
        sys.modules['numpy'].random.seed()
    if 'torch' in sys.modules:
        torch = sys.modules['torch']
        torch.random.default_generator.manual_seed(torch.initial_seed())


def _child(request):
    """Never returns."""
    status = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request['out']), (2, request['err'])):
            target = os.open(path, os.O_WRONLY | os.O_TRUNC)
            os.dup2(target, fd)
            os.close(target)
        os.chdir(request['cwd'])
        os.environ.clear()
        os.environ.update(request['env'])
        argv = request['argv']
        sys.argv = list(argv)
        sys.path[:] = [os.path.dirname(os.path.abspath(argv[0]))] + START_PATH
        _reseed()
        status = 0
        try:
            runpy.run_path(argv[0], run_name='__main__')
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                status = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                status = 1
        except BaseException:
            traceback.print_exc()
            status = 1
        import atexit
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(status)


def main():
    failed = {}
    for name in sys.argv[1:]:
        try:
            importlib.import_module(name)
        except BaseException as e:  # mmdet's version check asserts
            failed[name] = f'{type(e).__name__}: {e}'
    reply = sys.stdout
    print(json.dumps({'ready': True, 'failed': failed}), file=reply,
          flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _child(request)
        print(json.dumps({'pid': pid}), file=reply, flush=True)
        _, wait_status = os.waitpid(pid, 0)
        print(json.dumps({'status': os.waitstatus_to_exitcode(wait_status)}),
              file=reply, flush=True)


if __name__ == '__main__':
    main()
