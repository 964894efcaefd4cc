"""The ``catfish`` command line.

Errors in what the user gave (a parameter out of range, an output file that would be
overwritten) end in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from catfish import scenarios
from catfish.experiments.runs.files import (
    OutputError,
    WriteError,
    check_output,
    claim_output,
    describe_write_error,
    finish,
    prepare,
    read_manifest,
    write_atomic,
)
from catfish.scenarios import ScenarioError
from catfish.sim import ParameterError, codebook, run_one

RUN_FILES = ["timeseries.csv", "timeseries.parquet", "outcomes.json", "firms_by_state.png"]


SHIPPED = "<shipped>"  # --posterior without a file: the shipped posterior


class UserError(click.ClickException):
    """An error in the user's input: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"catfish: error: {self.format_message()}", err=True)


def usage_line(exc: click.UsageError) -> str:
    """A usage error as one line: the command, what was wrong, what is allowed."""
    message = " ".join(exc.format_message().split())
    kind = getattr(getattr(exc, "param", None), "type", None)
    if isinstance(kind, click.IntRange | click.FloatRange) and "<=" not in message:
        message += f" (allowed: {kind._describe_range()})"  # noqa: SLF001 - click's own words
    names, ctx = [], exc.ctx
    while ctx is not None and ctx.parent is not None:  # "catfish", however it was started
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    where = " ".join(["catfish", *names])
    return f"{where}: {message} (see {where} -h)"


class RunFailure(click.ClickException):
    """Something failed while running (not the user's input): one line, exit status 1."""

    exit_code = 1

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"catfish: error: {self.format_message()}", err=True)


class Catfish(click.Group):
    """The command group: usage errors (a bad option value, a missing argument) as one line.

    Click prints a usage error as the usage, a hint and the error on three lines; a person or
    a wrapper reading stderr wants the one line that says what to change.
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
            raise UserError(usage_line(exc)) from None


@click.group(cls=Catfish, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="catfish")
def main() -> None:
    """Catfish: how digital transformation spreads through an SME cluster.

    Compare what policy mixes do to it before committing public money.
    """


def yes_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--yes: start a job even if it looks bigger than the machine."""
    return click.option("--yes", is_flag=True,
                        help="Start even if the estimate exceeds the memory or disk the "
                             "machine has now.")(command)


def executor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--workers, --dask-local and --scheduler: where a sweep's runs go."""
    for option in reversed((
            click.option("--workers", type=click.IntRange(min=1, max=512), default=1,
                         show_default=True, help="Local worker processes."),
            click.option("--dask-local", type=click.IntRange(min=1), default=None,
                         help="Start a Dask LocalCluster with this many workers instead."),
            click.option("--scheduler", default=None, metavar="ADDRESS",
                         help="Run on a running Dask scheduler (e.g. tcp://10.0.0.5:8786)."))):
        command = option(command)
    return command


def quiet_option(command: Callable[..., Any]) -> Callable[..., Any]:
    """--quiet: no estimate and no progress bar on stderr (errors still print)."""
    return click.option("--quiet", "-q", is_flag=True,
                        help="Print no estimate or progress bar (errors still print).")(command)


def _say(quiet: bool, message: str) -> None:
    """A line about what is about to happen, on stderr, before any progress bar."""
    if not quiet:
        click.echo(message, err=True)


@contextlib.contextmanager
def _progress(quiet: bool, length: int, label: str) -> Iterator[Any]:
    """The one progress bar every long command shows on stderr (none with --quiet)."""
    if quiet:
        yield _Silent()
        return
    with click.progressbar(length=length, label=label, file=sys.stderr,
                           show_eta=True) as bar:
        yield bar


class _Silent:
    """A progress bar that shows nothing (--quiet)."""

    def update(self, n: int) -> None:  # noqa: D102 - click's interface
        pass


@main.command()
@click.argument("scenario", required=False, default=None, metavar="[FILE_OR_NAME]")
@click.option("--seed", type=click.IntRange(min=0, max=2**62), default=1, show_default=True,
              help="Random seed; the same seed gives the same results.")
@click.option("--months", type=click.IntRange(min=1, max=600), default=None,
              help="Months to simulate (default: the scenario's, 36).")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: catfish-output/run-<timestamp>).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the chart.")
@click.option("--overwrite", is_flag=True,
              help="Replace the results of an earlier catfish command in --out (only the "
                   "files catfish wrote there).")
@yes_option
def run(scenario: str | None, seed: int, months: int | None, out: Path | None, lang: str,
        overwrite: bool, yes: bool) -> None:
    """Run a scenario once (default: the built-in Jieyang plastics cluster, 1,000 SMEs).

    FILE_OR_NAME is a scenario file (a path, e.g. ./my.yaml) or the name of a shipped
    scenario (`catfish scenarios list`). Writes the time series (CSV, Parquet), outcomes
    (JSON), a chart of firms by state (PNG), a copy of the scenario (inputs/) and a manifest
    to the output folder, and prints a summary.
    """
    from catfish.experiments.outputs.charts import firms_by_state
    from catfish.experiments.outputs.fonts import use_language
    from catfish.experiments.runs import kept_inputs as inputs
    from catfish.experiments.runs.manifest import environment
    from catfish.experiments.runs.resources import TELL_SECONDS, check, estimate_runs

    started, clock = dt.datetime.now().astimezone(), time.perf_counter()
    out = out or Path("catfish-output") / f"run-{started:%Y%m%d-%H%M%S}"
    with _user_errors():
        path = scenarios.loader.resolve(scenario or scenarios.DEFAULT)
        chosen = scenarios.load(path)
        params = chosen.model_params()
        if months is not None:
            params = params.model_copy(update={"months": months})
        out = check_output(out, overwrite=overwrite)
        job = estimate_runs([params], replicates=1, workers=1, held_in_memory=False)
        check(job, out, yes=yes)
        kept = inputs.scenario_inputs(path, chosen)
        claim_output(out, command="catfish run", files=[*RUN_FILES, *kept])
        for name, content in kept.items():
            write_atomic(out / name, lambda f, c=content: f.write_bytes(c))
        if job.seconds > TELL_SECONDS:
            click.echo(f"Run: {job.describe()}", err=True)
            with click.progressbar(length=params.months, label="months", file=sys.stderr,
                                   show_eta=True) as bar:
                result = run_one(chosen, seed=seed, months=months, progress=bar.update)
        else:
            result = run_one(chosen, seed=seed, months=months)
        ts, o, p = result.timeseries, result.outcomes, result.params
        write_atomic(out / "timeseries.csv", lambda f: ts.to_csv(f, index=False))
        write_atomic(out / "timeseries.parquet", lambda f: ts.to_parquet(f, index=False))
        write_atomic(out / "outcomes.json", lambda f: f.write_text(
            json.dumps(_jsonable(o), indent=2, ensure_ascii=False), encoding="utf-8"))
        fig = firms_by_state(ts, target=p.target_firms, deadline_month=p.deadline_month,
                             lang=use_language(lang))
        write_atomic(out / "firms_by_state.png", lambda f: fig.savefig(f, dpi=120, format="png"))
        finish(out, {"command": "catfish run", "scenario": chosen.name, "seed": seed,
                     "months": len(ts), "started": started.isoformat(timespec="seconds"),
                     "wall_seconds": round(time.perf_counter() - clock, 3),
                     "inputs": inputs.record(kept, {inputs.SCENARIO: path}), **environment()})
    click.echo(_summary(o, p, ts, chosen.labels.zh if lang == "zh" else chosen.labels.en))
    click.echo(f"Results written to {out}/ ({', '.join(RUN_FILES)}, inputs/, manifest.json)")


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Errors in what the user gave, or in writing results, as one line (exit status 2)."""
    from catfish.calibration.data import DataError
    from catfish.experiments.outputs.report import ReportError
    from catfish.experiments.runs.resources import ResourceError

    try:
        yield
    except (ParameterError, ScenarioError, OutputError, ResourceError, ReportError,
            DataError) as exc:
        raise UserError(str(exc)) from None
    except OSError as exc:  # a full disk, a folder made read-only while we ran
        raise UserError(f"{describe_write_error(exc)}; what was written is kept and listed in "
                        "its folder's manifest.json") from None


def _jsonable(outcomes: dict) -> dict:
    return {k: (None if isinstance(v, float) and v != v else v) for k, v in outcomes.items()}


def _summary(o: dict, p, ts, title: str) -> str:
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


@main.command()
@click.argument("comparison", required=False, metavar="FILE_OR_NAME")
@click.option("--replicates", type=click.IntRange(min=2, max=100_000), default=None,
              help="Runs per mix (default: the comparison file's).")
@click.option("--seed", type=click.IntRange(min=0, max=2**62), default=None,
              help="First seed (default: the file's); replicate r uses seed + r in every mix.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: catfish-output/compare-<name>-<timestamp>).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the charts and the report.")
@click.option("--overwrite", is_flag=True,
              help="Replace the results of an earlier catfish command in --out (only the "
                   "files catfish wrote there).")
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
@executor_options
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Finish the interrupted comparison in this folder.")
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
    from catfish.experiments.analysis.comparison import headline
    from catfish.experiments.jobs import compare as job_api
    from catfish.experiments.runs.resources import check

    if (comparison is None) == (resume_dir is None):
        raise UserError("give FILE_OR_NAME (a comparison file or name) or --resume DIR, "
                        "not both")
    if resume_dir is not None and any((replicates, seed is not None, out, posterior, objective,
                                       fixed, overwrite)):
        raise UserError("--resume runs the comparison as it was started: leave out "
                        "--replicates, --seed, --out, --posterior, --objective, --fixed and "
                        "--overwrite")
    where = _executors(workers, dask_local, scheduler)["workers"]
    with _sweep_errors(lambda: resume_dir or out, job_api.resumable):
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

    loaded = rep.load_results(results.folder)
    click.echo(headline(results.summary, job.comparison, job.replicates, job.seed,
                        job.posterior))
    click.echo(f"\nResults written to {results.folder}/ ({', '.join(job.files)}, inputs/, "
               "store/)")
    click.echo(f"\n{rep.headline(loaded, lang)}")
    click.echo(f"Report: {results.report.resolve()}")


@main.command("report")
@click.argument("results", type=click.Path(path_type=Path), metavar="RESULTS_DIR")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the report.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="The HTML file to write (default: RESULTS_DIR/report.html).")
@click.option("--overwrite", is_flag=True, help="Replace the report file if it exists.")
def report_cmd(results: Path, lang: str, out: Path | None, overwrite: bool) -> None:
    """Write one self-contained HTML report of a comparison's results (catfish compare).

    The report opens offline (charts embedded, no request to any other address): the
    headline, transformed firms over time, the probability of meeting the target,
    cost-effectiveness, failures by stage, budget use, the main assumptions and their
    sources, how well the model fits the pilot data, and the scenario details. It reads only
    RESULTS_DIR (its results and the copies of its inputs), so it describes the run as made.
    """
    from catfish.experiments.outputs.report import write_report

    with _user_errors():
        path = write_report(results, lang=lang, out=out, overwrite=overwrite)
    click.echo(f"Report: {path.resolve()}")


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
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the printed table.")
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
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the page's charts, sliders and firm panel (Mesa's own "
                   "controls stay English).")
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
    import os
    import signal
    import subprocess

    from catfish import experiments
    from catfish.experiments.explore.app_model import LANG_ENV, SCENARIO_ENV
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
    root = str(Path(experiments.__file__).resolve().parent.parent)  # the app imports catfish
    env = {"SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # solara reports usage unless told
           **os.environ, SCENARIO_ENV: str(path.resolve()), LANG_ENV: lang,
           "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "solara", "run", "catfish.experiments.explore.app", "--host", host,
               "--port", str(port), "--production", "--no-open", "--no-check-version"]
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


CONFIRM_SECONDS = 30 * 60     # sweeps estimated to take longer ask first (unless --yes)
CONFIRM_BYTES = 5e9


@main.command("sweep")
@click.argument("file", required=False, metavar="[FILE_OR_NAME]")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Result folder (default: catfish-output/sweep-<name>-<timestamp>).")
@executor_options
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Finish the interrupted sweep in this folder.")
@click.option("--retry-failed", is_flag=True, help="With --resume: run failed runs again.")
@click.option("--yes", is_flag=True, help="Do not ask before a long or large sweep.")
@click.option("--overwrite", is_flag=True, help="Replace results already in --out.")
def sweep_cmd(file: str | None, out: Path | None, workers: int, dask_local: int | None,
              scheduler: str | None, resume_dir: Path | None, retry_failed: bool, yes: bool,
              overwrite: bool) -> None:
    """Run a sweep file (factors, design, replicates) into a crash-safe result folder.

    Before starting, prints the number of runs and an estimate of time and disk from a few
    runs, and asks above 30 minutes or 5 GB unless --yes. Results land as they arrive
    (outcomes.parquet, timeseries/, ledger.parquet, manifest.json); after an interruption,
    even kill -9, `catfish sweep --resume DIR` finishes with no run lost or repeated.
    """
    from catfish.experiments.jobs import sweep as sw

    if (file is None) == (resume_dir is None):
        raise UserError("give a sweep file, or --resume DIR (not both)")
    if retry_failed and resume_dir is None:
        raise UserError("--retry-failed goes with --resume DIR")
    executors = _executors(workers, dask_local, scheduler)
    with _sweep_errors(lambda: resume_dir or out, sw.resumable):
        if resume_dir is not None:
            with _resume_bar(resume_dir, retry_failed, sw.repair) as bar:
                handle = sw.resume(resume_dir, retry_failed=retry_failed, progress=bar.update,
                                   warn=_warn_repaired, **executors)
        else:
            spec = sw.load_sweep(file)
            out = out or Path("catfish-output") / \
                f"{spec.name}-{dt.datetime.now():%Y%m%d-%H%M%S}"
            check_output(out, overwrite=overwrite, resume_hint=f", resume it (--resume {out})")
            click.echo(f"Sweep {spec.name}: {spec.point_count:,} design points x "
                       f"{spec.replicates} replicates = {sw.count_runs(spec):,} runs; checking "
                       "every point and timing a few runs first", err=True)
            bar = click.progressbar(length=sw.count_runs(spec), label="runs", file=sys.stderr,
                                    show_eta=True)
            with bar:
                handle = sw.sweep(spec, out, overwrite=overwrite,
                                  confirm=_confirm("Sweep", yes, out), progress=bar.update,
                                  **executors)
    _report_status(handle)
    click.echo(f"Results in {handle.folder}/ (outcomes.parquet, timeseries/, ledger.parquet, "
               f"manifest.json)")


def _executors(workers: int, dask_local: int | None, scheduler: str | None) -> dict[str, Any]:
    from catfish.experiments.runs.executors import Workers

    try:
        return {"workers": Workers(workers, dask_local=dask_local, scheduler=scheduler)}
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _confirm(what: str, yes: bool, out: Path) -> Callable[[Any], bool]:
    """Show a sweep's estimate; refuse one bigger than the machine, ask above 30 min or 5 GB.

    With --yes it does neither.
    """
    from catfish.experiments.runs.resources import check

    def confirm(estimate: Any) -> bool:
        click.echo(f"{what}: {estimate.describe()}", err=True)
        check(estimate.job(), out, yes=yes)
        if yes or (estimate.seconds < CONFIRM_SECONDS and estimate.bytes < CONFIRM_BYTES):
            return True
        if not sys.stdin.isatty():
            raise UserError(f"a long or large {what.lower()}: pass --yes to start it without "
                            "asking")
        return click.confirm("Start it?", default=False, err=True)
    return confirm


@contextlib.contextmanager
def _sweep_errors(folder: Callable[[], Path | None] | None = None,
                  resumable: Callable[[Path], str | None] | None = None) -> Iterator[None]:
    """Errors of a sweep (or an analysis running one) as one line for the user.

    Args:
        folder: Gives the result folder when an error happens (None: there is none yet).
        resumable: Why ``--resume`` cannot finish that folder, or None if it can
            (``experiments.jobs.sweep.resumable``); only then is the user told to resume it.
    """
    from catfish.experiments.jobs.compare import ComparisonError
    from catfish.experiments.outputs.report import ReportError
    from catfish.experiments.runs.resources import ResourceError
    from catfish.experiments.runs.store import StoreError

    try:
        yield
    except (ParameterError, ScenarioError, OutputError, StoreError, ResourceError,
            ReportError) as exc:
        raise UserError(str(exc)) from None
    except ComparisonError as exc:
        raise RunFailure(str(exc)) from None
    except OSError as exc:  # e.g. a Dask scheduler that cannot be reached, a full disk
        message = str(exc) if isinstance(exc, WriteError) else \
            f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        place = folder() if folder is not None else None
        if place is not None and resumable is not None and resumable(place) is None:
            message += f" (finished batches are kept: --resume {place})"
        raise UserError(message) from None


def _warn_repaired(repaired: Any) -> None:
    """A part of a damaged batch that resuming moved aside (experiments.runs.store.Repair)."""
    click.echo(f"catfish: warning: {repaired.describe()}", err=True)


@contextlib.contextmanager
def _resume_bar(folder: Path, retry_failed: bool,
                repair: Callable[[Path], list[Any]]) -> Iterator[Any]:
    from catfish.experiments.jobs import sweep as sw

    for repaired in repair(folder):  # damaged batches first: until then it cannot be read
        _warn_repaired(repaired)
    status = sw.open_results(folder).status()
    todo = status["pending"] + (status["failed"] if retry_failed else 0)
    click.echo(f"Resuming {folder}: {status['done']:,} done, {status['failed']:,} failed, "
               f"{status['pending']:,} pending", err=True)
    with click.progressbar(length=todo, label="runs", file=sys.stderr, show_eta=True) as bar:
        yield bar


def _report_status(handle: Any) -> None:
    status = handle.status()
    click.echo(f"{status['done']:,} runs done, {status['failed']:,} failed, "
               f"{status['pending']:,} pending")
    if status["failed"]:
        first = handle.failed().iloc[0]
        click.echo(f"  first failure: {first['run_id']}: {str(first['error']).splitlines()[0]}")


@main.command("sensitivity")
@click.argument("file", required=False, metavar="[FILE_OR_NAME]")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Result folder (default: catfish-output/<name>-<method>-<timestamp>).")
@click.option("--method", type=click.Choice(["morris", "sobol"]), default=None,
              help="Morris screening or Sobol' indices (default: the file's).")
@click.option("--n", "n", type=click.IntRange(min=2), default=None,
              help="Morris trajectories or Sobol' base samples N (default: the file's).")
@click.option("--replicates", type=click.IntRange(min=1), default=None,
              help="Runs per design point, averaged (default: the file's).")
@executor_options
@click.option("--resume", "resume_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Finish the interrupted analysis in this folder.")
@click.option("--yes", is_flag=True, help="Do not ask before a long or large analysis.")
@click.option("--overwrite", is_flag=True, help="Replace results already in --out.")
def sensitivity_cmd(file: str | None, out: Path | None, method: str | None, n: int | None,
                    replicates: int | None, workers: int, dask_local: int | None,
                    scheduler: str | None, resume_dir: Path | None, yes: bool,
                    overwrite: bool) -> None:
    """Which inputs drive the results: Morris screening or Sobol' indices (SALib).

    Runs the analysis as a sweep (parallel, Dask, resumable with --resume DIR), averages each
    design point's replicates, adds a dummy factor whose index is the noise floor, and writes
    indices.parquet/.csv (one row per outcome and factor), charts and a summary in Chinese and
    English. Flags override the file.
    """
    from catfish.experiments.jobs import sensitivity as sa
    from catfish.experiments.runs.sensitivity_spec import load_sensitivity

    if (file is None) == (resume_dir is None):
        raise UserError("give a sensitivity file, or --resume DIR (not both)")
    if resume_dir is not None and (method or n or replicates):
        raise UserError("--method, --n and --replicates cannot change an analysis already "
                        "started; --resume runs it as it was")
    executors = _executors(workers, dask_local, scheduler)
    with _sweep_errors(lambda: resume_dir or out, sa.resumable):
        if resume_dir is not None:
            with _resume_bar(resume_dir, False, sa.repair) as bar:
                result = sa.resume(resume_dir, progress=bar.update, warn=_warn_repaired,
                                   **executors)
        else:
            spec, _ = load_sensitivity(file)
            spec = spec.with_options(method=method, n=n, replicates=replicates)
            out = out or Path("catfish-output") / \
                f"{spec.name}-{spec.method}-{dt.datetime.now():%Y%m%d-%H%M%S}"
            check_output(out, overwrite=overwrite, resume_hint=f", resume it (--resume {out})")
            click.echo(f"{spec.method}: {len(spec.factors)} factors and a dummy, "
                       f"{spec.design_points:,} design points x {spec.replicates} replicates",
                       err=True)
            with click.progressbar(length=spec.runs, label="runs", file=sys.stderr,
                                   show_eta=True) as bar:
                result = sa.sensitivity(file, out, method=method, n=n, replicates=replicates,
                                        overwrite=overwrite, confirm=_confirm("Analysis", yes, out),
                                        progress=bar.update, **executors)
    if result.indices.empty and not result.skipped:
        return  # not confirmed
    click.echo((result.folder / "summary.md").read_text(encoding="utf-8").split("## English")[-1]
               .strip())
    click.echo(f"Results in {result.folder}/ (indices.parquet, indices.csv, charts/, "
               "summary.md)")


CALIBRATION_FILES = ["abc.db", "abc.db-journal", "abc.db-wal", "abc.db-shm",
                     "posterior.parquet", "posterior_summary.csv", "ppc.csv", "holdout.csv",
                     "ppc_simulations.parquet", "pairplot.png"]


@main.command("calibrate")
@click.option("--quick", is_flag=True, help="A small calibration (16 particles, 2 generations) "
                                           "that finishes in about two minutes.")
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Result folder (default: catfish-output/calibration[-quick], or "
                   "catfish-output/calibration-screen with --screen; with --ship, the "
                   "finished calibration to ship).")
@click.option("--workers", type=click.IntRange(min=1), default=2, show_default=True,
              help="Processes that simulate particles.")
@click.option("--scheduler", default=None, metavar="ADDR",
              help="Simulate the particles on the workers of a running Dask scheduler "
                   "(tcp://HOST:PORT, as `dask scheduler` prints it) instead; --workers is then "
                   "ignored, except by the predictive check, which runs here. Every worker "
                   "needs Catfish installed, at this version (docs/calibration.md).")
@click.option("--resume", is_flag=True, help="Carry on with the calibration in --out from its "
                                            "last finished generation.")
@click.option("--overwrite", is_flag=True,
              help="Replace the results of an earlier catfish command in --out (only the "
                   "files catfish wrote there).")
@click.option("--screen", is_flag=True, help="Instead: a Morris screen of every prior on every "
                                            "target (which parameters are worth calibrating).")
@click.option("--ship", "ship_to", type=click.Path(path_type=Path), default=None,
              metavar="DEST",
              help="Instead: install the finished calibration in --out into DEST, laid out as "
                   "the shipped posterior and `calibrated` parameter set; DEST is a folder of "
                   "yours, or the root of a Catfish source checkout (a developer step, "
                   "docs/calibration.md); never an installed package.")
def calibrate_cmd(quick: bool, out: Path | None, workers: int, scheduler: str | None,
                  resume: bool, overwrite: bool, screen: bool, ship_to: Path | None) -> None:
    """Fit the behavioural parameters to the pilot data (ABC-SMC with pyabc).

    Writes the posterior sample (posterior.parquet), its summary, the posterior predictive
    check with its coverage (ppc.csv), the hold-outs' check (holdout.csv: figures the fit
    never saw) and a pair plot; pyabc's history (abc.db) lets a stopped calibration carry on
    where it stopped (--resume).
    """
    from catfish.calibration.abc import calibrate, check_scheduler, write_results
    from catfish.experiments.runs.manifest import environment

    if sum(map(bool, (screen, ship_to, resume))) > 1:
        raise UserError("--screen, --ship and --resume exclude each other")
    if scheduler is not None and (screen or ship_to is not None):
        raise UserError("--scheduler goes with a calibration, not with --screen or --ship")
    if screen:
        from catfish.experiments.jobs.screen import influential
        from catfish.experiments.jobs.screen import screen as run_screen

        out = out or Path("catfish-output") / "calibration-screen"
        with _sweep_errors():
            result = run_screen(out, workers=workers, overwrite=overwrite)
        click.echo(influential(result).to_string(index=False))
        click.echo(f"Indices in {out}/indices.csv")
        return
    out = out or Path("catfish-output") / ("calibration-quick" if quick else "calibration")
    if ship_to is not None:
        _ship(out, ship_to, overwrite)
        return
    with _user_errors():
        if scheduler is not None:  # before --out is claimed: a mistyped address writes nothing
            try:
                check_scheduler(scheduler)
            except ValueError as exc:
                raise UserError(str(exc)) from None
        if resume:
            record = read_manifest(out)
            if record is None or not (out / "abc.db").is_file():
                raise UserError(f"--out {out}: holds no calibration to carry on with (no "
                                "abc.db written by catfish calibrate)")
        elif (out / "abc.db").is_file() and not overwrite and read_manifest(out) is not None:
            raise UserError(f"--out {out}: holds a calibration; pass --resume to carry on "
                            "with it, --overwrite to start again, or choose another folder")
        else:
            out = prepare(out, command="catfish calibrate", files=CALIBRATION_FILES,
                          overwrite=overwrite, resume_hint=", carry on with it (--resume)")
        started = dt.datetime.now().astimezone()
        try:
            run = calibrate(out, quick=quick, workers=workers, scheduler=scheduler)
            paths = write_results(run, workers=workers)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        finish(out, {"command": "catfish calibrate", "quick": quick, "resumed": resume,
                     "scheduler": scheduler,
                     "started": started.isoformat(timespec="seconds"),
                     "generations": run.generations, "simulations": run.simulations,
                     "epsilon": run.epsilon, **environment()})
    click.echo(f"{run.generations} generations, {run.simulations:,} simulations, last "
               f"acceptance rate {run.acceptance_rate:.1%}, epsilon {run.epsilon:.2f}")
    click.echo((out / "posterior_summary.csv").read_text(encoding="utf-8").strip())
    click.echo(_coverage_lines(out))
    click.echo(f"Results in {out}/ ({', '.join(p.name for p in paths.values())})")


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


def _ship(folder: Path, dest: Path, overwrite: bool) -> None:
    from catfish.calibration.ship import COPIED, check_finished, ship
    from catfish.experiments.runs.manifest import environment, is_source_checkout, repository
    from catfish.scenarios.schema import PARAM_OF

    dest = dest.expanduser()
    with _user_errors():
        try:
            check_finished(folder)  # before anything is written anywhere
        except FileNotFoundError as exc:
            raise UserError(f"--out {exc}") from None
        if is_source_checkout(dest.resolve()):  # a developer ships into the repository
            posteriors = dest / "calibration" / "posteriors"
            parameter_set = dest / "scenarios" / "parameter_sets" / "calibrated.yaml"
        elif _installed_package(dest, repository()):
            raise UserError(f"--ship {dest}: is inside an installed package; ship into a "
                            "folder of yours, or into a source checkout of Catfish "
                            "(docs/calibration.md)")
        else:
            posteriors, parameter_set = dest, dest / "calibrated.yaml"
            prepare(dest, command="catfish calibrate --ship", option="--ship",
                    files=[*COPIED.values(), parameter_set.name], overwrite=overwrite)
        try:
            local = ship(folder, posteriors=posteriors, parameter_set=parameter_set)
        except FileNotFoundError as exc:
            raise UserError(str(exc)) from None
        if posteriors == dest:  # a folder of the user's: say what it holds
            finish(dest, {"command": "catfish calibrate --ship", "from": str(folder.resolve()),
                          **environment()})
    click.echo(f"Shipped {folder}/posterior.parquet as {posteriors}/{COPIED['posterior.parquet']}"
               f"; its medians are the parameter set {parameter_set}")
    path_of = {param: path for path, param in PARAM_OF.items()}
    for scenario, values in local.items():
        for name, value in values.items():
            click.echo(f"{scenario}: set {path_of.get(name, name)} to {value:.2f} in its "
                       "scenario file (the posterior median; the tests check it)")


def _installed_package(dest: Path, code_root: Path) -> bool:
    """Whether ``dest`` lies in site-packages, or in the folder Catfish is installed in."""
    where = dest.resolve()
    if {"site-packages", "dist-packages"} & set(where.parts):
        return True
    installed = code_root.resolve()
    return where == installed or installed in where.parents


@main.command("policies")
def policies_cmd() -> None:
    """Print the catalogue of policy instruments (Markdown, as in docs/policies.md)."""
    from catfish.sim.policy.catalogue import markdown

    click.echo(markdown(), nl=False)


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
