"""The ``catfish`` command line.

Errors in what the user gave (a parameter out of range, an output file that would be
overwritten) end in one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

import scenarios
from experiments.files import OutputExistsError, check_free, write_atomic
from scenarios import ScenarioError
from sim import ParameterError, codebook, run_one

RUN_FILES = ["timeseries.csv", "timeseries.parquet", "outcomes.json", "firms_by_state.png"]


class UserError(click.ClickException):
    """An error in the user's input: printed as one line, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: D102 - click's hook
        click.echo(f"catfish: error: {self.format_message()}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="catfish")
def main() -> None:
    """Catfish: how digital transformation spreads through an SME cluster.

    Compare what policy mixes do to it before committing public money.
    """


@main.command()
@click.argument("scenario", required=False, default=None, metavar="[FILE_OR_NAME]")
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True,
              help="Random seed; the same seed gives the same results.")
@click.option("--months", type=int, default=None,
              help="Months to simulate (default: the scenario's, 36).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: catfish-output/run-<timestamp>).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the chart.")
@click.option("--overwrite", is_flag=True, help="Replace result files already in --out.")
def run(scenario: str | None, seed: int, months: int | None, out: Path | None, lang: str,
        overwrite: bool) -> None:
    """Run a scenario once (default: the built-in Jieyang plastics cluster, 1,000 SMEs).

    FILE_OR_NAME is a scenario file or the name of a shipped scenario (`catfish scenarios
    list`). Writes the time series (CSV, Parquet), outcomes (JSON) and a chart of firms by
    state (PNG) to the output folder and prints a summary.
    """
    from experiments.charts import firms_by_state
    from experiments.fonts import use_language

    out = out or Path("catfish-output") / f"run-{dt.datetime.now():%Y%m%d-%H%M%S}"
    try:
        check_free(out, RUN_FILES, overwrite=overwrite)
        chosen = scenarios.load(scenario or scenarios.DEFAULT)
        result = run_one(chosen, seed=seed, months=months)
    except (ParameterError, ScenarioError, OutputExistsError) as exc:
        raise UserError(str(exc)) from None
    ts, o, p = result.timeseries, result.outcomes, result.params

    write_atomic(out / "timeseries.csv", lambda f: ts.to_csv(f, index=False))
    write_atomic(out / "timeseries.parquet", lambda f: ts.to_parquet(f, index=False))
    write_atomic(out / "outcomes.json",
                 lambda f: f.write_text(json.dumps(_jsonable(o), indent=2, ensure_ascii=False)))
    fig = firms_by_state(ts, target=p.target_firms, deadline_month=p.deadline_month,
                         lang=use_language(lang))
    write_atomic(out / "firms_by_state.png", lambda f: fig.savefig(f, dpi=120, format="png"))
    click.echo(_summary(o, p, ts, chosen.labels.zh if lang == "zh" else chosen.labels.en))
    click.echo(f"Results written to {out}/ ({', '.join(RUN_FILES)})")


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
    from scenarios.reference import markdown

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
    from sim.params import ModelParams, parameters_markdown

    if markdown:
        click.echo(parameters_markdown(), nl=False)
    else:
        for row in ModelParams.field_table():
            click.echo(f"{row['name']:<32} {row['default']!s:<20} {row['unit']:<22} "
                       f"{row['source']}")


if __name__ == "__main__":
    sys.exit(main())
