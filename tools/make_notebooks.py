"""Write the example notebooks (``notebooks/*.ipynb``) from the cells below, without outputs.

The notebooks are generated, so that their code is reviewed here as plain Python and a change
of API shows in one diff; ``tests/test_notebooks.py`` executes every one of them (CI runs it).

    python tools/make_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

OUT = Path(__file__).resolve().parents[1] / "notebooks"

NOTEBOOKS = {
    "01-comparison.ipynb": [
        ("md", "# Comparing policy mixes across plausible worlds\n\n"
               "The shipped Jieyang comparison: six policy mixes for the Jieyang pilot city "
               "(2023-2025), each replicate in its own plausible world (a joint draw of the "
               "calibrated posterior and the priors). Twenty worlds here, so that the notebook "
               "runs in about a minute; `make demo` runs a thousand."),
        ("code", "import catfish\n\ncatfish.__version__"),
        ("code", "results = catfish.compare(\"compare-jieyang-2023\", \"out/comparison\", "
                 "replicates=20,\n                          workers=2, lang=\"en\", "
                 "overwrite=True)\nresults.summary[[\"mix\", \"transformed_by_deadline_mean\", "
                 "\"target_met_prob\",\n                 \"cost_per_transformed_rmb\"]]"),
        ("md", "Across the worlds: how often each mix is the best, its expected regret "
               "against the best mix of each world, and its bad case."),
        ("code", "results.robustness[[\"mix\", \"p_best\", \"expected_regret\", \"p_target\"]]"),
        ("code", "counted = results.bands.query(\"column == 'n_counted'\")\n"
                 "counted.pivot(index=\"date\", columns=\"mix\", values=\"mean\").tail()"),
        ("md", "The same folder, opened later (nothing runs):"),
        ("code", "again = catfish.open_results(\"out/comparison\")\nagain.report"),
    ],
    "02-sensitivity.ipynb": [
        ("md", "# Which assumptions decide the result: a Morris screen\n\n"
               "The shipped sensitivity file `sa-jieyang-2023` with few trajectories, so that "
               "it runs in a minute or two; the dummy factor's index is the noise floor."),
        ("code", "from catfish.experiments.jobs.sensitivity import sensitivity\n\n"
                 "result = sensitivity(\"sa-jieyang-2023\", \"out/sensitivity\", "
                 "method=\"morris\", n=4,\n                     replicates=1, workers=2, "
                 "overwrite=True, report=False)\n"
                 "result.indices.query(\"outcome == 'transformed_by_deadline'\")[\n"
                 "    [\"factor\", \"mu_star\", \"mu_star_conf\", \"noise_floor\", \"verdict\"]]"),
    ],
    "03-salib-bridge.ipynb": [
        ("md", "# Catfish in SALib's ProblemSpec\n\n"
               "`salib_problem` turns a sweep file's factors into a SALib problem; "
               "`salib_function` is the model as `f(X) -> Y`, one row per sample."),
        ("code", "from SALib import ProblemSpec\n\n"
                 "from catfish.bridges import salib_function, salib_problem\n\n"
                 "problem = salib_problem(\"sweep-jieyang-2023\")\nproblem"),
        ("code", "f = salib_function(\"sweep-jieyang-2023\", "
                 "outcomes=[\"transformed_by_deadline\"])\n"
                 "sp = ProblemSpec({**problem, \"outputs\": [\"transformed_by_deadline\"]})\n"
                 "sp.sample_morris(4, seed=1).evaluate(f).analyze_morris(seed=1)\n"
                 "sp.analysis.to_df()"),
    ],
    "04-ema-bridge.ipynb": [
        ("md", "# Catfish as an EMA Workbench model\n\n"
               "`ema_model` reads a sweep file: factors on `policies.` or `budget.` paths are "
               "levers, the others uncertainties, and the sweep's outcomes are outcomes."),
        ("code", "from ema_workbench import perform_experiments\n\n"
                 "from catfish.bridges import ema_model\n\n"
                 "model = ema_model(\"sweep-jieyang-2023\")\n"
                 "[u.name for u in model.uncertainties], [lever.name for lever in model.levers]"),
        ("code", "inputs, outcomes = perform_experiments(model, scenarios=8, policies=2)\n"
                 "inputs.assign(transformed=outcomes[\"transformed_by_deadline\"])[\n"
                 "    [\"peer_effect\", \"grant_share\", \"diagnosis_per_month\", "
                 "\"transformed\"]].head()"),
    ],
}


def main() -> None:
    """Write every notebook."""
    OUT.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        book = new_notebook(cells=[new_markdown_cell(text) if kind == "md"
                                   else new_code_cell(text) for kind, text in cells])
        book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
        nbformat.write(book, OUT / name)
        print(f"wrote {OUT / name}")


if __name__ == "__main__":
    main()
