"""What people read: charts, the HTML report, the sensitivity summary, words in zh and en.

Outputs import the analysis (``experiments.analysis``) and the result files
(``experiments.runs``); the analysis never imports an output.
"""
