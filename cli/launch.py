"""`textrnn train ... --nproc N`: the same command in N processes on this machine, started by PyTorch's own
launcher (the engine of torchrun: torch.distributed.run --standalone), each process a rank of one training
(textrnn.distributed). The launcher's own logs are quieted: rank 0 says what went wrong, in one line."""

from __future__ import annotations

import sys

from textrnn.errors import ConfigError

OPTION = "--nproc"


def without_nproc(argv: list[str]) -> list[str]:
    """`argv` without `--nproc N` (or `--nproc=N`): the command each process runs."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == OPTION:
            skip = True
        elif not arg.startswith(OPTION + "="):
            kept.append(arg)
    return kept


def check(nproc: int | None) -> None:
    """Refuse --nproc inside a run torchrun already started (each of its processes would start N more), and a
    count out of its range."""
    from textrnn.distributed import from_env
    from textrnn.ranges import check as check_range

    check_range("nproc", nproc)
    world = from_env()
    if nproc is not None and world.active:
        raise ConfigError(f"--nproc starts its own processes, and this one is already rank {world.rank} of "
                          f"{world.size} (torchrun)", hint="leave --nproc out under torchrun, or run without torchrun")


def launch(nproc: int | None, argv: list[str] | None = None) -> None:
    """With --nproc N (N > 1): run this command (`argv`, default sys.argv[1:]) in N processes and exit with
    their exit code. Otherwise return: the command runs in this process."""
    check(nproc)
    if nproc is None or nproc == 1:
        return
    import os
    import tempfile

    args = ["--nproc-per-node", str(nproc), "--standalone", "-m", "textrnn",
            *without_nproc(sys.argv[1:] if argv is None else argv)]
    with tempfile.TemporaryDirectory(prefix="textrnn-launch-") as folder:
        os.environ["TEXTRNN_LAUNCH_DIR"] = folder  # where each rank leaves its one-line error (cli/errors.py)
        try:
            code = _run(args, folder)
        finally:
            del os.environ["TEXTRNN_LAUNCH_DIR"]
    sys.exit(code)


def _run(args: list[str], folder: str) -> int:
    """torch.distributed.run with `args`: 0, or the exit code of the failed process. Rank 0's one-line error is
    on stderr already; when rank 0 said none (another rank stopped first and rank 0 was stopped by the
    launcher), the failed rank's line, left in `folder`, is said here."""
    import logging
    import os

    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
    from torch.distributed.run import get_args_parser, run

    for name in list(logging.Logger.manager.loggerDict):
        if name.startswith("torch.distributed"):  # its failure reports and notes: one line is said below
            logging.getLogger(name).setLevel(logging.CRITICAL)
    try:
        run(get_args_parser().parse_args(args))
    except SignalException:  # Ctrl-C, passed on to every process: they have saved for --resume and said so
        return 130
    except ChildFailedError as e:
        rank, failure = e.get_first_failure()
        own = e.failures.get(0)
        if os.path.exists(os.path.join(folder, "rank-0.txt")):  # rank 0 has said its line
            if own is not None and own.exitcode > 0:
                failure = own  # its exit code is the run's
        else:
            said = os.path.join(folder, f"rank-{rank}.txt")
            if os.path.exists(said):
                with open(said, encoding="utf-8") as f:
                    print(f.read().strip(), file=sys.stderr)
            else:
                how = f"exit code {failure.exitcode}" if failure.exitcode > 0 else f"signal {-failure.exitcode}"
                print(f"textrnn: training error: process {rank} of the training stopped ({how})", file=sys.stderr)
        return failure.exitcode if failure.exitcode > 0 else 1
    return 0
