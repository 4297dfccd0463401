"""The `chibo` console script: the project's manage.py (every Django command plus ours)."""

import os
import select
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chibo.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except BrokenPipeError:
        if not _stdout_reader_is_gone():
            raise  # a socket or a file of the command's own: a real failure
        _drop_stdout()
        sys.exit(0)
    except SystemExit:
        # A command that ends with a status of its own (`audit_records` exits 1 when it
        # finds violations) keeps it, whether or not its reader is still there.
        _flush_stdout()
        raise
    _flush_stdout()


def _flush_stdout() -> None:
    """Flush now rather than at exit, so that a reader gone by then is caught here."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        if not _stdout_reader_is_gone():
            raise
        _drop_stdout()


def _stdout_reader_is_gone() -> bool:
    """Whether standard output is a pipe whose reader stopped early (`chibo units | head`):
    the rest of the output has nowhere to go, which is no error, as for Unix tools."""
    if not hasattr(select, "poll"):
        return True  # no way to ask (Windows): standard output is the likeliest pipe
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        # Linux reports a pipe without reader as POLLERR, the BSDs and macOS as POLLHUP.
        return any(event & (select.POLLERR | select.POLLHUP) for _, event in poller.poll(0))
    except (OSError, ValueError):
        return False


def _drop_stdout() -> None:
    """Point standard output at /dev/null: Python flushes what is still buffered at exit,
    and that flush must not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    main()
