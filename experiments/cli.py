"""The ``catfish`` command line: it parses arguments and prints; the jobs do the work.

Every command that runs something calls a job in ``experiments.jobs`` (plan: check
everything, write nothing; run: on the engine; a handle on the results comes back) and prints
what it says. The same option means the same everywhere: each is made by one function here
(``out_option``, ``overwrite_option``, ``seed_option``, ``lang_option``, ``executor_options``,
``resume_option``, ``yes_option``, ``quiet_option``), and the defaults of ``--lang`` and
``--workers`` follow one rule (``default_lang``, ``default_workers``), said in ``MAIN_HELP``.

Exit status: 0 on success; 1 when something failed while running (a run, a write to a full
disk, a Dask scheduler that does not answer); 2 for a mistake in what was given (an input
file, an option, an output folder that cannot be used). A failure is one line on stderr,
never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
from catfish.experiments.runs.files import (
    OutputError,
    WriteError,
    check_output,
    describe_write_error,
)
from catfish.scenarios import ScenarioError
from catfish.sim import ParameterError, codebook

from catfish import scenarios

SHIPPED = "<shipped>"  # --posterior without a file: the shipped posterior
LANG_ENV = "CATFISH_LANG"        # the default of --lang: zh unless this says en
WORKERS_ENV = "CATFISH_WORKERS"  # the default of --workers: the CPUs, unless this says otherwise
LANG_RULE = f"zh unless ${LANG_ENV}=en"
WORKERS_RULE = f"the CPUs this process may use, or ${WORKERS_ENV}"
MAX_SEED = 2**62
MAX_WORKERS = 512             # local processes at most (and a scheduler's are its own)
CONFIRM_SECONDS = 30 * 60     # sweeps estimated to take longer ask first (unless --yes)
CONFIRM_BYTES = 5e9


class UserError(click.ClickException):
    """A mistake in what the user gave: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"catfish: error: {self.format_message()}", err=True)


class RunFailure(click.ClickException):
    """Something failed while running (not the user's input): one line, exit status 1."""

    exit_code = 1

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"catfish: error: {self.format_message()}", err=True)


def usage_line(exc: click.UsageError, command: str | None = None) -> str:
    """A usage error as one line: the command, what was wrong, what is allowed.

    Args:
        exc: Click's error.
        command: The subcommand, for an error that does not know its context (click's
            parser says "Option '--resume' requires an argument." without one).
    """
    message = " ".join(exc.format_message().split())
    kind = getattr(getattr(exc, "param", None), "type", None)
    if isinstance(kind, click.IntRange | click.FloatRange) and "<=" not in message:
        message += f" (allowed: {kind._describe_range()})"  # noqa: SLF001 - click's own words
    names, ctx = [], exc.ctx
    while ctx is not None and ctx.parent is not None:  # "catfish", however it was started
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    if exc.ctx is None and command:
        names = [command]
    where = " ".join(["catfish", *names])
    return f"{where}: {message} (see {where} -h)"


def unexpected(exc: BaseException) -> str:
    """An error nobody expected, in one line: what it is and where it was raised."""
    text = str(exc).strip().splitlines()
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    place = f" (at {Path(where[0].filename).name}:{where[0].lineno})" if where else ""
    return f"{type(exc).__name__}{': ' + text[0] if text else ''}{place}"


class Catfish(click.Group):
    """The command group: every failure as one line, with the exit status it deserves.

    Click prints a usage error as the usage, a hint and the error on three lines; a person or
    a wrapper reading stderr wants the one line that says what to change. An error nobody
    expected ends as one line too (exit status 1), naming where it was raised.
    """

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:  # noqa: D102
        try:
            return super().make_context(*args, **kwargs)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise UserError(usage_line(exc)) from None

    def invoke(self, ctx: click.Context) -> Any:  # noqa: D102
        try:
            return super().invoke(ctx)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            raise UserError(usage_line(exc, ctx.invoked_subcommand)) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - a bug: one line, not a traceback
            raise RunFailure(unexpected(exc)) from None


MAIN_HELP = """Catfish: how digital transformation spreads through an SME cluster.

Compare what policy mixes do to it before committing public money.

\b
The same option means the same in every command that takes it:
  --out DIR       where results go (checked before anything runs)
  --overwrite     replace the results of an earlier catfish command there
  --seed N        the random seed: the same seed gives the same results
  --lang zh|en    language of charts, reports and tables
  --workers N     local processes that run models
  --dask-local N  a Dask LocalCluster of N workers instead
  --scheduler A   a running Dask scheduler's workers instead
  --resume DIR    carry on with an interrupted job in DIR, as it was started
  --yes           start even if the estimate exceeds what the machine has
  --quiet         no estimate and no progress bar (errors still print)

\b
Defaults: --lang is zh unless the environment variable CATFISH_LANG=en;
--workers is the number of CPUs this process may use unless CATFISH_WORKERS=N.

\b
Exit status: 0 done; 1 something failed while running (a run, a full disk,
a Dask scheduler that does not answer); 2 a mistake in the input or options.
"""


@click.group(cls=Catfish, help=MAIN_HELP,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="catfish")
def main() -> None:
    """The command group (its help is ``MAIN_HELP``)."""


# --- the defaults rule ----------------------------------------------------------------------------

def default_lang() -> str:
    """The default of ``--lang``: ``zh``, unless the environment variable CATFISH_LANG is ``en``.

    Raises:
        UserError: CATFISH_LANG says something else.
    """
    value = os.environ.get(LANG_ENV, "").strip()
    if value.lower() in ("", "zh", "en"):
        return value.lower() or "zh"
    raise UserError(f"{LANG_ENV}={value}: must be zh or en (the default of --lang)")


def default_workers() -> int:
    """The default of ``--workers``: CATFISH_WORKERS if set, else the CPUs this process may use.

    The CPUs this process may use are ``os.sched_getaffinity(0)`` where the system says (a
    container or ``taskset`` may give fewer than the machine has), else ``os.cpu_count()``.

    Raises:
        UserError: CATFISH_WORKERS is not a whole number of at least 1.
    """
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        if not value.isdigit() or not 1 <= int(value) <= MAX_WORKERS:
            raise UserError(f"{WORKERS_ENV}={value}: must be a whole number from 1 to "
                            f"{MAX_WORKERS} (the default of --workers)")
        return int(value)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every system (macOS, Windows)
        cpus = os.cpu_count() or 1
    return min(max(cpus, 1), MAX_WORKERS)


# --- the options every command spells the same way ---------------------------------------------

Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


def out_option(text: str, *, file_okay: bool = True) -> Decorator:
    """--out DIR: where the results go."""
    return click.option("--out", type=click.Path(file_okay=file_okay, path_type=Path),
                        default=None, help=text)


def overwrite_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--overwrite: replace the results of an earlier catfish command (only its files)."""
    return click.option("--overwrite", is_flag=True,
                        help="Replace the results of an earlier catfish command in --out (only "
                             "the files catfish wrote there).")(command)


def seed_option(text: str, *, default: int | None = None, maximum: int = MAX_SEED) -> Decorator:
    """--seed N: the random seed."""
    return click.option("--seed", type=click.IntRange(min=0, max=maximum), default=default,
                        show_default=default is not None, help=text)


def lang_option(text: str) -> Decorator:
    """--lang zh|en, whose default follows the one rule (``default_lang``)."""
    return click.option("--lang", type=click.Choice(["zh", "en"]), default=default_lang,
                        show_default=LANG_RULE, help=text)


def executor_options(*, dask: bool = True, text: str = "Local worker processes.") -> Decorator:
    """--workers, and --dask-local and --scheduler: where the runs go."""
    options = [click.option("--workers", type=click.IntRange(min=1, max=MAX_WORKERS),
                            default=default_workers,
                            show_default=WORKERS_RULE, help=text)]
    if dask:
        options.append(click.option(
            "--dask-local", type=click.IntRange(min=1, max=MAX_WORKERS), default=None,
            help="Start a Dask LocalCluster with this many workers instead."))
    options.append(click.option(
        "--scheduler", default=None, metavar="ADDRESS",
        help="Run on the workers of a running Dask scheduler instead (tcp://HOST:PORT, as "
             "`dask scheduler` prints it); every worker needs this version of Catfish."))

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def _a_folder(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and str(value).startswith("-"):  # --resume --out x: DIR forgotten
        raise click.BadParameter(f"needs a folder, not the option {value}", ctx, param)
    return value


def resume_option(what: str) -> Decorator:
    """--resume DIR: carry on with an interrupted job in DIR, as it was started."""
    return click.option("--resume", "resume_dir", metavar="DIR", default=None,
                        type=click.Path(file_okay=False, path_type=Path), callback=_a_folder,
                        help=f"Carry on with the interrupted {what} in DIR, as it was started.")


def yes_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--yes: start a job even if it looks bigger than the machine (or long: do not ask)."""
    return click.option("--yes", is_flag=True,
                        help="Start even if the estimate exceeds the memory or disk the "
                             "machine has now, and do not ask before a long job.")(command)


def quiet_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--quiet: no estimate and no progress bar on stderr (errors still print)."""
    return click.option("--quiet", "-q", is_flag=True,
                        help="Print no estimate or progress bar (errors still print).")(command)


def _resume_alone(resume_dir: Path | None, what: str, **given: Any) -> None:
    """Refuse options that would change a job ``--resume`` carries on with as it was."""
    if resume_dir is None:
        return
    names = [f"--{name.replace('_', '-')}" for name in given]
    for name, value in zip(names, given.values(), strict=True):
        if value not in (None, False):
            raise UserError(f"{name} cannot change a {what} already started: --resume DIR "
                            f"runs it as it was (leave out {', '.join(names)})")


# --- what every command prints the same way -----------------------------------------------------

def _say(quiet: bool, message: str) -> None:
    """A line about what is about to happen, on stderr, before any progress bar."""
    if not quiet:
        click.echo(message, err=True)


class _Bar:
    """The progress bar every command shows on stderr; it appears when it starts.

    It starts on its first update, or when :meth:`start` is called (after the estimate has
    been said and agreed to), so that whatever is printed before it, such as an estimate,
    comes first and is never drawn over. Starting one bar closes the one ``after`` it.
    """

    def __init__(self, length: int, label: str, quiet: bool, after: _Bar | None = None) -> None:
        self.length, self.label, self.quiet, self.after = length, label, quiet, after
        self._bar: Any = None
        self._closed = False

    def start(self) -> None:
        """Show the bar now (at zero) and start its clock."""
        if self.quiet or self._bar is not None or self._closed:
            return
        if self.after is not None:
            self.after.close()
        self._bar = click.progressbar(length=max(self.length, 1), label=self.label,
                                      file=sys.stderr, show_eta=True)
        self._bar.__enter__()

    def update(self, n: int) -> None:
        """``n`` more done."""
        self.start()
        if self._bar is not None and not self._closed:
            self._bar.update(n)

    def close(self) -> None:
        """Finish the bar's line (if it was shown); it does not start again."""
        if self._bar is not None and not self._closed:
            self._bar.__exit__(None, None, None)
        self._closed = True


@contextlib.contextmanager
def _progress(quiet: bool, length: int, label: str, *,
              after: _Bar | None = None) -> Iterator[_Bar]:
    """The one progress bar every long command shows on stderr (none with --quiet)."""
    bar = _Bar(length, label, quiet, after)
    try:
        yield bar
    finally:
        bar.close()


# --- errors: one line, exit status 1 or 2 ---------------------------------------------------------

# Mistakes in what was given (exit status 2), and failures while running (exit status 1,
# besides OSError), as module:class: a class whose module was never imported cannot have been
# raised, so checking them imports nothing.
MISTAKES = ("catfish.experiments.runs.store:StoreError",
            "catfish.experiments.runs.resources:ResourceError",
            "catfish.experiments.outputs.report:ReportError",
            "catfish.calibration.data:DataError",
            "catfish.experiments.jobs.calibrate:CalibrationError")
FAILURES = ("catfish.experiments.jobs.compare:ComparisonError",
            "catfish.experiments.jobs.calibrate:RunsFailed",
            "catfish.experiments.jobs.calibrate:SchedulerUnreachable")


def _is(exc: BaseException, names: tuple[str, ...]) -> bool:
    for name in names:
        module, _, cls = name.partition(":")
        kind = getattr(sys.modules.get(module), cls, None)
        if kind is not None and isinstance(exc, kind):
            return True
    return False


@contextlib.contextmanager
def _errors(folder: Callable[[], Path | None] | None = None,
            resumable: Callable[[Path], str | None] | None = None) -> Iterator[None]:
    """Errors of a command as one line: a mistake (exit status 2) or a failure (1).

    Args:
        folder: Gives the result folder when an error happens (None: there is none yet).
        resumable: Why ``--resume`` cannot carry on in that folder, or None if it can
            (e.g. ``experiments.jobs.sweep.resumable``); only then is the user told to
            resume it.
    """
    try:
        yield
    except click.ClickException:
        raise
    except Exception as exc:
        if isinstance(exc, ParameterError | ScenarioError | OutputError) or _is(exc, MISTAKES):
            raise UserError(str(exc)) from None
        if not (_is(exc, FAILURES) or isinstance(exc, OSError)):
            raise
        message = str(exc) if _is(exc, FAILURES) else _os_error(exc)
        place = folder() if folder is not None else None
        if place is not None and "--resume" not in message:
            if resumable is not None and resumable(place) is None:
                message += f" (what finished is kept: --resume {place})"
            elif isinstance(exc, WriteError):
                message += "; what was written is kept and listed in its folder's manifest.json"
        raise RunFailure(message) from None


def _os_error(exc: OSError) -> str:
    """A failed write, an unreachable scheduler, ...: one line."""
    if isinstance(exc, WriteError):
        return describe_write_error(exc)
    if exc.filename:
        return f"{exc.filename}: {exc.strerror or type(exc).__name__}"
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else 'failed'}"


def needs_extra(extra: str, module: str, what: str) -> None:
    """Refuse, in one line naming the extra to install, when an optional dependency is missing.

    The core install runs run, compare, report and firm; the rest needs an extra
    (pyproject.toml: calibrate, dask, app, notebooks, all).
    """
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise UserError(f"{what} needs {module} (not installed): pip install "
                        f"'catfish[{extra}]'")


def _executors(workers: int, dask_local: int | None = None,
               scheduler: str | None = None) -> Any:
    """Where the runs go, checked: a scheduler must answer before anything is written."""
    from catfish.experiments.runs.executors import Workers

    if dask_local is not None or scheduler is not None:
        needs_extra("dask", "distributed", "--dask-local or --scheduler")
    try:
        where = Workers(workers, dask_local=dask_local, scheduler=scheduler)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if scheduler is not None:
        from catfish.experiments.jobs.calibrate import reach_scheduler

        with _errors():
            reach_scheduler(scheduler)
    return where


# --- run ------------------------------------------------------------------------------------------

@main.command()
@click.argument("scenario", required=False, default=None, metavar="[FILE_OR_NAME]")
@seed_option("Random seed; the same seed gives the same results.", default=1)
@click.option("--months", type=click.IntRange(min=1, max=600), default=None,
              help="Months to simulate (default: the scenario's, 36).")
@out_option("Output folder (default: catfish-output/run-<timestamp>).")
@lang_option("Language of the chart and of the scenario's name in the summary.")
@overwrite_option
@yes_option
@quiet_option
def run(scenario: str | None, seed: int, months: int | None, out: Path | None, lang: str,
        overwrite: bool, yes: bool, quiet: bool) -> None:
    """Run a scenario once (default: the built-in Jieyang plastics cluster, 1,000 SMEs).

    FILE_OR_NAME is a scenario file (a path, e.g. ./my.yaml) or the name of a shipped
    scenario (`catfish scenarios list`). Writes the time series (CSV, Parquet), outcomes
    (JSON), a chart of firms by state (PNG), a copy of the scenario (inputs/) and a manifest
    to the output folder, and prints a summary. A run estimated to take more than 10 seconds
    says so first and shows a progress bar.
    """
    import catfish.experiments.jobs.run as job_api
    from catfish.experiments.runs.resources import TELL_SECONDS, check

    job = None
    with _errors(lambda: job.out if job is not None else None):
        job = job_api.plan_run(scenario, out=out, seed=seed, months=months,
                               overwrite=overwrite)
        check(job.estimate, job.out, yes=yes)
        told = job.estimate.seconds > TELL_SECONDS and not quiet
        if told:
            _say(quiet, f"Run: {job.estimate.describe()}")
        with _progress(not told, job.params.months, "months") as bar:
            results = job_api.run_planned(job, lang=lang, progress=bar.update if told else None)
    labels = results.scenario.labels
    click.echo(_summary(results.outcomes, results.params, results.timeseries,
                        labels.zh if lang == "zh" else labels.en))
    click.echo(f"Results written to {results.folder}/ ({', '.join(job.files)}, inputs/, "
               "manifest.json)")


def _summary(o: dict, p: Any, ts: Any, title: str) -> str:
    deadline = ts.loc[ts["month"] == min(p.deadline_month, len(ts)), "date"].iloc[0]
    lines = [
        f"{title}: {p.n_smes:,} SMEs, {len(ts)} months from {p.start_month}, seed {o['seed']}",
        f"  transformed by {deadline} (deadline): {o['transformed_by_deadline']:,} firms "
        f"({o['share_transformed_by_deadline']:.0%} of all); target {p.target_firms:,}: "
        f"{'met' if o['target_met'] else 'not met'} ({o['target_attainment']:.0%})",
        f"  public money spent: {o['spent_by_deadline_rmb'] / 1e6:,.1f} M RMB of "
        f"{p.budget_rmb / 1e6:,.1f} M; per transformed firm: "
        + (f"{o['cost_per_transformed_rmb']:,.0f} RMB" if o['transformed_by_deadline'] else "n/a"),
        f"  failed projects: {o['failed_early']} early, {o['failed_middle']} middle, "
        f"{o['failed_late']} late; rejected at acceptance: {o['rejected']}; lapsed: {o['lapsed']}",
        f"  realised mean payback of accepted projects: {o['mean_payback_years']:.1f} years",
    ]
    return "\n".join(lines)


# --- compare and report ---------------------------------------------------------------------------

@main.command()
@click.argument("comparison", required=False, metavar="FILE_OR_NAME")
@click.option("--replicates", type=click.IntRange(min=2, max=100_000), default=None,
              help="Runs per mix (default: the comparison file's).")
@seed_option("First seed (default: the file's); replicate r uses seed + r in every mix.")
@out_option("Output folder (default: catfish-output/compare-<name>-<timestamp>).")
@lang_option("Language of the charts and the report.")
@overwrite_option
@click.option("--posterior", "posterior", type=str, is_flag=False, flag_value=SHIPPED,
              default=None, metavar="[FILE]",
              help="The posterior the worlds draw the calibrated parameters from (default: "
                   "the shipped one).")
@click.option("--objective", type=click.Choice(["transformed", "p_target", "cost_per_firm"]),
              default=None, help="What makes a mix best in a world (default: the file's, "
                                 "transformed): firms transformed, reaching the target, or "
                                 "the least money per transformed firm.")
@click.option("--fixed", is_flag=True,
              help="No worlds: every replicate runs the files' point values, so the spread "
                   "is run-to-run noise only.")
@click.option("--timeseries", type=click.Choice(["csv+parquet", "parquet", "none"]),
              default="csv+parquet", show_default=True,
              help="Which time-series tables to write (one row per mix, replicate and month; "
                   "50 MB of CSV for the demo); the charts' monthly bands are kept either way.")
@executor_options()
@resume_option("comparison")
@click.option("--json", "as_json", is_flag=True,
              help="Print the headline table as JSON (one record per mix) instead of text.")
@yes_option
@quiet_option
def compare(comparison: str | None, replicates: int | None, seed: int | None,
            out: Path | None, lang: str, overwrite: bool, posterior: str | None,
            objective: str | None, fixed: bool, timeseries: str, workers: int,
            dask_local: int | None, scheduler: str | None, resume_dir: Path | None,
            as_json: bool, yes: bool, quiet: bool) -> None:
    """Compare policy mixes across plausible worlds, on the same worlds and seeds.

    FILE_OR_NAME is a comparison file (a path) or the name of a shipped one
    (compare-jieyang-2023). Replicate r of every mix, and of the base scenario's own mix as
    "base", runs world r (one joint draw of every uncertain parameter: the calibrated
    posterior and the priors, docs/compare.md) with seed + r. Runs land in the folder's
    store/ as they finish, so an interrupted comparison carries on with --resume DIR. Writes
    runs, summary, time-series, bands and worlds tables (CSV, Parquet), the robustness
    analysis, charts (PNG), copies of its inputs (inputs/), a manifest and the report
    (report.html, see catfish report) to the output folder, and prints a headline table.
    """
    import catfish.experiments.jobs.compare as job_api
    from catfish.experiments.analysis.comparison import headline
    from catfish.experiments.runs.resources import check

    if (comparison is None) == (resume_dir is None):
        raise UserError("give FILE_OR_NAME (a comparison file or a shipped comparison's "
                        "name), or --resume DIR (not both)")
    _resume_alone(resume_dir, "comparison", replicates=replicates, seed=seed, out=out,
                  posterior=posterior, objective=objective, fixed=fixed, overwrite=overwrite)
    where = _executors(workers, dask_local, scheduler)
    with _errors(lambda: resume_dir or out, job_api.resumable):
        if resume_dir is not None:
            status = job_api.pending(resume_dir)
            _say(quiet, f"Resuming {resume_dir}: {status['done']:,} runs done, "
                        f"{status['failed']:,} failed, {status['pending']:,} pending")
            with _progress(quiet, status["pending"] + status["failed"], "runs") as bar:
                results = job_api.resume_comparison(resume_dir, workers=where,
                                                    progress=bar.update)
            job, record = job_api.replan(resume_dir)  # the job as it was run
            lang = record.get("lang", lang)
        else:
            job = job_api.plan_comparison(comparison, out=out, replicates=replicates,
                                          seed=seed, posterior=posterior, fixed=fixed,
                                          objective=objective, workers=where.planned,
                                          overwrite=overwrite, timeseries=timeseries)
            out = job.out
            check(job.estimate, job.out, yes=yes)
            _say(quiet, f"Comparison: {len(job.comparison.mixes)} mixes x {job.replicates} "
                        f"replicates = {job.design.count:,} runs on {where.describe()}; "
                        f"{job.estimate.describe()}")
            with _progress(quiet, job.design.count, "runs") as bar:
                results = job_api.run_comparison(job, workers=where, lang=lang,
                                                  progress=bar.update)
    if as_json:
        click.echo(results.summary.to_json(orient="records", indent=1, force_ascii=False))
        return
    from catfish.experiments.outputs import report as rep

    with _errors():
        loaded = rep.load_results(results.folder)
    click.echo(headline(results.summary, job.comparison, job.replicates, job.seed,
                        job.posterior))
    click.echo(f"\nResults written to {results.folder}/ ({', '.join(job.files)}, inputs/, "
               "store/)")
    click.echo(f"\n{rep.headline(loaded, lang)}")
    click.echo(f"Report: {results.report.resolve()}")


@main.command("report")
@click.argument("results", type=click.Path(path_type=Path), metavar="RESULTS_DIR")
@lang_option("Language of the report.")
@out_option("The HTML file to write (default: RESULTS_DIR/report.html).")
@click.option("--overwrite", is_flag=True, help="Replace the report file if it exists.")
def report_cmd(results: Path, lang: str, out: Path | None, overwrite: bool) -> None:
    """Write one self-contained HTML report of a comparison's results (catfish compare).

    The report opens offline (charts embedded, no request to any other address): the
    headline, transformed firms over time, the probability of meeting the target,
    cost-effectiveness, failures by stage, budget use, the main assumptions and their
    sources, how well the model fits the pilot data, and the scenario details. It reads only
    RESULTS_DIR (its results and the copies of its inputs), so it describes the run as made.
    The report catfish compare wrote, or any report file, is replaced only with --overwrite.
    """
    from catfish.experiments.outputs.report import write_report

    with _errors():
        path = write_report(results, lang=lang, out=out, overwrite=overwrite)
    click.echo(f"Report: {path.resolve()}")


# --- a firm, the app, scenario files -----------------------------------------------------------

FIRM_NUMBERS = {  # option -> (Firm field, metavar, help)
    "--revenue-rmb": ("revenue_rmb", "RMB", "Annual revenue (default: the cluster's median)."),
    "--light-cost-rmb": ("light_cost_rmb", "RMB",
                         "Cost of a light project (default: from revenue, as in the model)."),
    "--deep-cost-rmb": ("deep_cost_rmb", "RMB",
                        "Cost of a deep project (default: from revenue, as in the model)."),
    "--cash-rmb": ("cash_rmb", "RMB",
                   "Cash for a project (default: cash_months of revenue, the model's mean)."),
    "--credit-access": ("credit_access", "0-1", "Credit access (default: the cluster's mean)."),
    "--talent": ("talent", "0-1", "Digital talent (default: the cluster's mean)."),
    "--infrastructure": ("infrastructure", "0-1",
                         "Infrastructure readiness (default: the cluster's mean)."),
}


def firm_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The firm's numbers, read as text so that a bad value gets one line, not a usage error."""
    for option, (field, metavar, text) in reversed(FIRM_NUMBERS.items()):
        command = click.option(option, field, default=None, metavar=metavar, help=text)(command)
    return command


@main.command("firm")
@click.option("--scenario", "scenario_name", default="jieyang-city-2023", show_default=True,
              metavar="NAME_OR_FILE", help="Scenario whose cluster and policy mix apply.")
@click.option("--sector", default=None,
              help="One of the scenario's sectors (default: its first).")
@firm_options
@click.option("--month", default=None, metavar="YYYY-MM",
              help="Month whose support counts (default: the scenario's first).")
@lang_option("Language of the printed table.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON records.")
def firm_cmd(scenario_name: str, sector: str | None, month: str | None, lang: str,
             as_json: bool, **numbers: str | None) -> None:
    """What a light and a deep project are worth to one firm, with the policy support and without.

    For the firm described by the options (defaults: the scenario's typical firm), prints the
    risk-adjusted and the plain expected NPV, whether it can finance the project, the payback
    of its own outlay and the probability the project fails before acceptance, under the
    scenario's policy mix and under none. The numbers come from the model's own decision and
    failure rules (docs/firm.md).
    """
    from catfish.experiments.explore.firm import Firm, FirmError, evaluate, table

    option_of = {field: option for option, (field, _, _) in FIRM_NUMBERS.items()}
    values: dict[str, float] = {}
    for field, text in numbers.items():
        if text is not None:
            try:
                values[field] = float(text)
            except ValueError:
                raise UserError(f"{option_of[field]} = {text}: must be a number") from None
    try:
        chosen = scenarios.load(scenario_name)
        result = evaluate(chosen, Firm(sector=sector, **values), month=month)
    except FirmError as exc:
        option = option_of.get(exc.field, f"--{exc.field}")
        given = numbers.get(exc.field) or {"sector": sector, "month": month}.get(exc.field)
        raise UserError(f"{option} = {given}: {exc.rule}") from None
    except (ParameterError, ScenarioError) as exc:
        raise UserError(str(exc)) from None
    if as_json:
        click.echo(result.to_json(orient="records", indent=2, force_ascii=False))
    else:
        click.echo(table(result, chosen, lang=lang))


@main.command("app")
@click.argument("scenario", required=False, default="jieyang-city-2023", metavar="[FILE_OR_NAME]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; only this machine can open the app unless you give "
                   "another (0.0.0.0: every network interface, see docs/app.md).")
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8765, show_default=True,
              help="Port to listen on.")
@lang_option("Language of the page's charts, sliders and firm panel (Mesa's own controls "
             "stay English).")
def app_cmd(scenario: str, host: str, port: int, lang: str) -> None:
    """Explore a scenario in the browser: Mesa's SolaraViz with sliders for its policy levers.

    FILE_OR_NAME is a scenario file or a shipped scenario's name (default:
    jieyang-city-2023). The sliders change the scenario's own instruments (a grant's share
    and cap, diagnoses a month, exchange sessions a quarter, ...) and its budget; Reset
    rebuilds the model with them. Charts: firms by state, public money spent, and who holds
    each sector's orders; a panel shows what a project is worth to one firm (catfish firm).
    Needs the app's extra dependencies: pip install 'catfish[app]'. Ctrl-C stops it.
    """
    import importlib.util
    import signal
    import subprocess

    from catfish.experiments.explore.app_model import LANG_ENV as APP_LANG
    from catfish.experiments.explore.app_model import SCENARIO_ENV
    from catfish.scenarios.loader import resolve


    missing = [name for name in ("solara", "altair") if importlib.util.find_spec(name) is None]
    if missing:
        raise UserError(f"the app needs {' and '.join(missing)} (not installed): "
                        "pip install 'catfish[app]'")
    try:
        path = resolve(scenario)
        chosen = scenarios.load(path)
    except ScenarioError as exc:
        raise UserError(str(exc)) from None
    # the same interpreter imports catfish as this one does (installed, or an editable install)
    env = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # solara reports usage unless told
           **os.environ, SCENARIO_ENV: str(path.resolve()), APP_LANG: lang}
    command = [sys.executable, "-m", "solara", "run", "catfish.experiments.explore.app",
               "--host", host, "--port", str(port), "--production", "--no-open",
               "--no-check-version"]
    url_host = f"[{host}]" if ":" in host else host
    click.echo(f"Catfish app: {chosen.labels.en} at http://{url_host}:{port}/ "
               "(Ctrl-C stops it)", err=True)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)  # subprocess.call then kills the server, no orphan

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        code = subprocess.call(command, env=env)
    except KeyboardInterrupt:  # Ctrl-C reached the server too
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
    sys.exit(code)


@main.group("scenarios")
def scenarios_cmd() -> None:
    """List, show and validate scenario files."""


@scenarios_cmd.command("list")
def scenarios_list() -> None:
    """The scenarios shipped with Catfish, with their English and Chinese names."""
    for name in scenarios.shipped_names():
        labels = scenarios.load(name).labels
        click.echo(f"{name:<28} {labels.en}  |  {labels.zh}")


@scenarios_cmd.command("show")
@click.argument("name")
def scenarios_show(name: str) -> None:
    """Print a scenario file (a shipped name or a path) as it is written."""
    try:
        path = scenarios.loader.resolve(name)
        scenarios.load(path)
    except ScenarioError as exc:
        raise UserError(str(exc)) from None
    click.echo(path.read_text(encoding="utf-8"), nl=False)


@scenarios_cmd.command("validate")
@click.argument("files", nargs=-1, required=True)
def scenarios_validate(files: tuple[str, ...]) -> None:
    """Check scenario files; one line per file, exit status 2 if any is invalid."""
    bad = 0
    for name in files:
        try:
            scenario = scenarios.load(name)
        except ScenarioError as exc:
            bad += 1
            click.echo(f"catfish: error: {exc}", err=True)
        else:
            click.echo(f"{name}: ok ({scenario.name}, {len(scenario.policies)} instruments)")
    if bad:
        sys.exit(2)


@scenarios_cmd.command("reference")
def scenarios_reference() -> None:
    """Print the scenario file reference (Markdown, as in docs/scenarios.md)."""
    from catfish.scenarios.reference import markdown

    click.echo(markdown(), nl=False)




# --- sweeps and sensitivity analyses --------------------------------------------------------------

@main.command("sweep")
@click.argument("file", required=False, metavar="[FILE_OR_NAME]")
@out_option("Result folder (default: catfish-output/sweep-<name>-<timestamp>).",
            file_okay=False)
@seed_option("First seed (default: the file's seed); it seeds the runs and the design's "
             "sampler.")
@executor_options()
@resume_option("sweep")
@click.option("--retry-failed", is_flag=True, help="With --resume: run failed runs again.")
@yes_option
@overwrite_option
@quiet_option
def sweep_cmd(file: str | None, out: Path | None, seed: int | None, workers: int,
              dask_local: int | None, scheduler: str | None, resume_dir: Path | None,
              retry_failed: bool, yes: bool, overwrite: bool, quiet: bool) -> None:
    """Run a sweep file (factors, design, replicates) into a crash-safe result folder.

    Before starting, prints the number of runs and an estimate of time and disk from a few
    runs, and asks above 30 minutes or 5 GB unless --yes. Results land as they arrive
    (outcomes.parquet, timeseries/, ledger.parquet, manifest.json); after an interruption,
    even kill -9, `catfish sweep --resume DIR` finishes with no run lost or repeated. Runs
    that fail are recorded and the rest go on; the exit status is then 1.
    """
    import catfish.experiments.jobs.sweep as sw

    if (file is None) == (resume_dir is None):
        raise UserError("give a sweep file, or --resume DIR (not both)")
    if retry_failed and resume_dir is None:
        raise UserError("--retry-failed goes with --resume DIR")
    _resume_alone(resume_dir, "sweep", seed=seed, out=out, overwrite=overwrite)
    where = _executors(workers, dask_local, scheduler)
    with _errors(lambda: resume_dir or out, sw.resumable):
        if resume_dir is not None:
            with _resume_bar(resume_dir, retry_failed, sw.repair, quiet) as bar:
                handle = sw.resume(resume_dir, retry_failed=retry_failed, progress=bar.update,
                                   warn=_warn_repaired, workers=where)
        else:
            spec = sw.with_seed(sw.load_sweep(file), seed)
            out = out or Path("catfish-output") / \
                f"{spec.name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
            check_output(out, overwrite=overwrite, resume_hint=f", resume it (--resume {out})")
            _say(quiet, f"Sweep {spec.name}: {spec.point_count:,} design points x "
                        f"{spec.replicates} replicates = {sw.count_runs(spec):,} runs; checking "
                        "every point and timing a few runs first")
            with _progress(quiet, sw.count_runs(spec), "runs") as bar:
                confirm = _Confirm("Sweep", yes, out, quiet, bar)
                handle = sw.sweep(spec, out, overwrite=overwrite, progress=bar.update,
                                  confirm=confirm, workers=where)
            if not confirm.agreed:
                return  # nothing ran
    _report_status(handle)
    click.echo(f"Results in {handle.folder}/ (outcomes.parquet, timeseries/, ledger.parquet, "
               f"manifest.json)")
    _failed_runs(handle, "sweep")


@main.command("sensitivity")
@click.argument("file", required=False, metavar="[FILE_OR_NAME]")
@out_option("Result folder (default: catfish-output/<name>-<method>-<timestamp>).",
            file_okay=False)
@click.option("--method", type=click.Choice(["morris", "sobol"]), default=None,
              help="Morris screening or Sobol' indices (default: the file's).")
@click.option("--n", "n", type=click.IntRange(min=2), default=None,
              help="Morris trajectories or Sobol' base samples N (default: the file's).")
@click.option("--replicates", type=click.IntRange(min=1), default=None,
              help="Runs per design point, averaged (default: the file's).")
@seed_option("Seed of the sampler and the runs (default: the file's).", maximum=MAX_SEED // 2)
@executor_options()
@resume_option("analysis")
@click.option("--retry-failed", is_flag=True, help="With --resume: run failed runs again.")
@yes_option
@overwrite_option
@quiet_option
def sensitivity_cmd(file: str | None, out: Path | None, method: str | None, n: int | None,
                    replicates: int | None, seed: int | None, workers: int,
                    dask_local: int | None, scheduler: str | None, resume_dir: Path | None,
                    retry_failed: bool, yes: bool, overwrite: bool, quiet: bool) -> None:
    """Which inputs drive the results: Morris screening or Sobol' indices (SALib).

    Runs the analysis as a sweep (parallel, Dask, resumable with --resume DIR), averages each
    design point's replicates, adds a dummy factor whose index is the noise floor, and writes
    indices.parquet/.csv (one row per outcome and factor), charts and a summary in Chinese and
    English. Flags override the file. Runs that fail are left out of the analysis and the
    exit status is then 1.
    """
    import catfish.experiments.jobs.sensitivity as sa
    import catfish.experiments.jobs.sweep as sw
    from catfish.experiments.runs.sensitivity_spec import load_sensitivity

    if (file is None) == (resume_dir is None):
        raise UserError("give a sensitivity file, or --resume DIR (not both)")
    if retry_failed and resume_dir is None:
        raise UserError("--retry-failed goes with --resume DIR")
    _resume_alone(resume_dir, "analysis", method=method, n=n, replicates=replicates,
                  seed=seed, out=out, overwrite=overwrite)
    where = _executors(workers, dask_local, scheduler)
    running = False  # the runs have started: a failure of the analysis may be theirs
    with _errors(lambda: resume_dir or out, sa.resumable):
        try:
            if resume_dir is not None:
                with _resume_bar(resume_dir, retry_failed, sa.repair, quiet) as bar:
                    running = True
                    result = sa.resume(resume_dir, retry_failed=retry_failed,
                                       progress=bar.update, warn=_warn_repaired, workers=where)
            else:
                spec, _ = load_sensitivity(file)
                spec = spec.with_options(method=method, n=n, replicates=replicates, seed=seed)
                out = out or Path("catfish-output") / \
                    f"{spec.name}-{spec.method}-{dt.datetime.now():%Y%m%d-%H%M%S}"
                check_output(out, overwrite=overwrite,
                             resume_hint=f", resume it (--resume {out})")
                _say(quiet, f"{spec.method}: {len(spec.factors)} factors and a dummy, "
                            f"{spec.design_points:,} design points x {spec.replicates} "
                            "replicates")
                with _progress(quiet, spec.runs, "runs") as bar:
                    running = True
                    result = sa.sensitivity(file, out, method=method, n=n, replicates=replicates,
                                            seed=seed, overwrite=overwrite, progress=bar.update,
                                            confirm=_Confirm("Analysis", yes, out, quiet,
                                                             bar),
                                            workers=where)
        except ScenarioError as exc:  # the analysis found no run it could use
            folder = resume_dir or out
            if running and folder is not None and sa.resumable(folder) is None \
                    and sw.open_results(folder).status()["failed"]:
                raise RunFailure(str(exc)) from None
            raise
    if result.indices.empty and not result.skipped:
        return  # not confirmed
    click.echo((result.folder / "summary.md").read_text(encoding="utf-8").split("## English")[-1]
               .strip())
    click.echo(f"Results in {result.folder}/ (indices.parquet, indices.csv, charts/, "
               "summary.md)")
    _failed_runs(sw.open_results(result.folder), "sensitivity")


class _Confirm:
    """Say a sweep's estimate; refuse one bigger than the machine, ask above 30 min or 5 GB.

    With --yes it does neither; with --quiet the estimate is said only to ask. Once the job
    may start, its progress bar appears (below the estimate).
    """

    def __init__(self, what: str, yes: bool, out: Path, quiet: bool, bar: _Bar) -> None:
        self.what, self.yes, self.out, self.quiet, self.bar = what, yes, out, quiet, bar
        self.agreed = False

    def __call__(self, estimate: Any) -> bool:
        """True to start the job."""
        from catfish.experiments.runs.resources import check

        asks = not self.yes and (estimate.seconds >= CONFIRM_SECONDS
                                 or estimate.bytes >= CONFIRM_BYTES)
        _say(self.quiet and not asks, f"{self.what}: {estimate.describe()}")
        check(estimate.job(), self.out, yes=self.yes)
        if asks:
            if not sys.stdin.isatty():
                raise UserError(f"a long or large {self.what.lower()}: pass --yes to start it "
                                "without asking")
            if not click.confirm("Start it?", default=False, err=True):
                return False
        self.agreed = True
        self.bar.start()
        return True


def _warn_repaired(repaired: Any) -> None:
    """A part of a damaged batch that resuming moved aside (experiments.runs.store.Repair)."""
    click.echo(f"catfish: warning: {repaired.describe()}", err=True)


@contextlib.contextmanager
def _resume_bar(folder: Path, retry_failed: bool, repair: Callable[[Path], list[Any]],
                quiet: bool) -> Iterator[_Bar]:
    import catfish.experiments.jobs.sweep as sw

    for repaired in repair(folder):  # damaged batches first: until then it cannot be read
        _warn_repaired(repaired)
    status = sw.open_results(folder).status()
    todo = status["pending"] + (status["failed"] if retry_failed else 0)
    _say(quiet, f"Resuming {folder}: {status['done']:,} done, {status['failed']:,} failed, "
                f"{status['pending']:,} pending")
    with _progress(quiet, todo, "runs") as bar:
        yield bar


def _report_status(handle: Any) -> None:
    status = handle.status()
    click.echo(f"{status['done']:,} runs done, {status['failed']:,} failed, "
               f"{status['pending']:,} pending")
    if status["failed"]:
        first = handle.failed().iloc[0]
        click.echo(f"  first failure: {first['run_id']}: {str(first['error']).splitlines()[0]}")


def _failed_runs(handle: Any, command: str) -> None:
    """Exit status 1 if runs failed (what ran is kept; --retry-failed runs them again)."""
    status = handle.status()
    if status["failed"]:
        first = handle.failed().iloc[0]
        raise RunFailure(f"{status['failed']:,} of {status['runs']:,} runs failed; the first, "
                         f"{first['run_id']}: {str(first['error']).splitlines()[0]} (catfish "
                         f"{command} --resume {handle.folder} --retry-failed runs them again)")


# --- calibration ----------------------------------------------------------------------------------

@main.command("calibrate")
@click.option("--quick", is_flag=True, help="A small calibration (16 particles, 2 generations) "
                                           "that finishes in about two minutes.")
@out_option("Result folder (default: catfish-output/calibration[-quick], or "
            "catfish-output/calibration-screen with --screen; with --ship, the finished "
            "calibration to ship).")
@seed_option("Seed of pyabc's draws and of the predictive check (default: 1; 5 with "
             "--screen); with one worker the same seed gives the same calibration.",
             maximum=2**32 - 1)
@executor_options(dask=False, text="Local processes that simulate the particles and run the "
                                   "predictive check.")
@resume_option("calibration")
@overwrite_option
@click.option("--screen", is_flag=True, help="Instead: a Morris screen of every prior on every "
                                            "target (which parameters are worth calibrating).")
@click.option("--ship", "ship_to", type=click.Path(path_type=Path), default=None,
              metavar="DEST",
              help="Instead: install the finished calibration in --out into DEST, laid out as "
                   "the shipped posterior and `calibrated` parameter set; DEST is a folder of "
                   "yours, or the root of a Catfish source checkout (a developer step, "
                   "docs/calibration.md); never an installed package.")
@quiet_option
def calibrate_cmd(quick: bool, out: Path | None, seed: int | None, workers: int,
                  scheduler: str | None, resume_dir: Path | None, overwrite: bool,
                  screen: bool, ship_to: Path | None, quiet: bool) -> None:
    """Fit the behavioural parameters to the pilot data (ABC-SMC with pyabc).

    Writes the posterior sample (posterior.parquet), its summary, the posterior predictive
    check with its coverage (ppc.csv; its runs in ppc/), the hold-outs' check (holdout.csv:
    figures the fit never saw) and a pair plot, and prints the posterior as a table; pyabc's
    history (abc.db) lets a stopped calibration carry on where it stopped (--resume DIR).
    With --scheduler, the Dask scheduler's workers simulate the particles and run the
    predictive check (docs/calibration.md).
    """
    import catfish.experiments.jobs.calibrate as job_api

    if sum(map(bool, (screen, ship_to, resume_dir))) > 1:
        raise UserError("--screen, --ship and --resume exclude each other")
    if scheduler is not None and (screen or ship_to is not None):
        raise UserError("--scheduler goes with a calibration, not with --screen or --ship")
    _resume_alone(resume_dir, "calibration", quick=quick, seed=seed, out=out,
                  overwrite=overwrite)
    if screen:
        from catfish.experiments.jobs.screen import influential
        from catfish.experiments.jobs.screen import screen as run_screen

        out = out or Path("catfish-output") / "calibration-screen"
        with _errors():
            result = run_screen(out, workers=workers, overwrite=overwrite,
                                **({} if seed is None else {"seed": seed}))
        click.echo(influential(result).to_string(index=False))
        click.echo(f"Indices in {out}/indices.csv")
        return
    if ship_to is not None:
        folder = out or Path("catfish-output") / ("calibration-quick" if quick else "calibration")
        with _errors():
            shipped = job_api.ship_calibration(folder, ship_to, overwrite=overwrite)
        _print_shipped(shipped)
        return
    needs_extra("calibrate", "pyabc", "catfish calibrate")
    where = _executors(workers, scheduler=scheduler)  # a mistyped address writes nothing
    job = None
    with _errors(lambda: job.out if job is not None else None, job_api.resumable):
        job = job_api.plan_calibration(out, quick=quick, seed=seed, resume=resume_dir,
                                       overwrite=overwrite)
        settings = job.settings
        _say(quiet, f"Calibration{' (resumed)' if job.resumed else ''}: up to "
                    f"{job.generations_left} more generations of {settings.population} "
                    f"particles, then {settings.ppc_draws} predictive runs, on "
                    f"{where.describe()}")
        with _progress(quiet, job.generations_left, "generations") as generations, \
                _progress(quiet, settings.ppc_draws, "predictive check",
                          after=generations) as checks:
            results = job_api.run_calibration(job, workers=where, progress=generations.update,
                                              check_progress=checks.update)
    run = results.run
    click.echo(f"{run.generations} generations, {run.simulations:,} simulations, last "
               f"acceptance rate {run.acceptance_rate:.1%}, epsilon {run.epsilon:.2f}")
    click.echo(posterior_table(results.summary))
    click.echo(_coverage_lines(results.folder))
    click.echo(f"Results in {results.folder}/ "
               f"({', '.join(p.name for p in results.paths.values())}, ppc/)")


def posterior_table(summary: Any) -> str:
    """The posterior summary (``posterior_summary.csv``) as an aligned table for people."""
    head = ("parameter", "median", "90 % interval", "prior range", "contraction")
    rows = [head] + [(r.parameter, f"{r.median:.3g}", f"[{r.lo90:.3g}, {r.hi90:.3g}]",
                      f"[{r.prior_low:g}, {r.prior_high:g}]", f"{r.contraction:.2f}")
                     for r in summary.itertuples(index=False)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    return "\n".join("  ".join([row[0].ljust(widths[0]),
                                *(cell.rjust(w) for cell, w in zip(row[1:], widths[1:],
                                                                   strict=True))]).rstrip()
                     for row in rows)


def _coverage_lines(folder: Path) -> str:
    """How many figures lie inside the predictive intervals, fitted and held out."""
    import pandas as pd

    ppc = pd.read_csv(folder / "ppc.csv")
    lines = [f"Fit: {int(ppc['in90'].sum())} of {len(ppc)} targets inside their 90 % "
             f"predictive interval, {int(ppc['in50'].sum())} inside the 50 % one (ppc.csv)"]
    holdout = pd.read_csv(folder / "holdout.csv")
    if len(holdout):
        hits = int((holdout["result"] == "hit").sum())
        lines.append(f"Hold-outs: {hits} of {len(holdout)} inside their 90 % predictive "
                     "interval (holdout.csv)")
    return "\n".join(lines)


def _print_shipped(shipped: Any) -> None:
    from catfish.calibration.ship import COPIED
    from catfish.scenarios.schema import PARAM_OF

    click.echo(f"Shipped {shipped.source}/posterior.parquet as "
               f"{shipped.posteriors}/{COPIED['posterior.parquet']}; its medians are the "
               f"parameter set {shipped.parameter_set}")
    path_of = {param: path for path, param in PARAM_OF.items()}
    for scenario, values in shipped.local.items():
        for name, value in values.items():
            click.echo(f"{scenario}: set {path_of.get(name, name)} to {value:.2f} in its "
                       "scenario file (the posterior median; the tests check it)")


# --- references -----------------------------------------------------------------------------------

@main.command("policies")
def policies_cmd() -> None:
    """Print the catalogue of policy instruments (Markdown, as in docs/policies.md)."""
    from catfish.sim.policy.catalogue import markdown

    click.echo(markdown(), nl=False)


@main.command("schema")
@click.argument("kind", type=click.Choice(["scenario", "comparison", "sweep", "sensitivity"]))
def schema_cmd(kind: str) -> None:
    """Print the JSON Schema of a kind of input file (for editors; docs/schemas.md).

    The same schemas ship in scenarios/schemas/, and every shipped file names its own in its
    first line (# yaml-language-server: $schema=...), which VS Code's YAML extension reads.
    """
    from catfish.experiments.jobs.schemas import text

    click.echo(text(kind), nl=False)


@main.command("codebook")
@click.option("--markdown", is_flag=True, help="Print Markdown (as in docs/codebook.md).")
def codebook_cmd(markdown: bool) -> None:
    """List every output column with its unit and English and Chinese labels."""
    if markdown:
        click.echo(codebook.markdown(), nl=False)
    else:
        click.echo(codebook.table().to_string(index=False))


@main.command("params")
@click.option("--markdown", is_flag=True, help="Print Markdown (as in docs/parameters.md).")
def params_cmd(markdown: bool) -> None:
    """List every model parameter with its default, unit and source."""
    from catfish.sim.params import ModelParams, parameters_markdown

    if markdown:
        click.echo(parameters_markdown(), nl=False)
    else:
        for row in ModelParams.field_table():
            click.echo(f"{row['name']:<32} {row['default']!s:<20} {row['unit']:<22} "
                       f"{row['source']}")


if __name__ == "__main__":
    sys.exit(main())
