"""``ClusterModel``: a Mesa model of digital transformation spreading through an SME cluster.

State lives in numpy arrays owned by the model (``smes``, ``providers``, ``leads``); Mesa agents
give identity and views. Each month is computed for all firms at once from the state at the
start of the month, so activation order cannot change results. The step order is spelled out
in :meth:`ClusterModel.step` and ``docs/model.md``.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
import scipy.sparse as sp
from catfish.agents.government import Government
from catfish.agents.jit import compiled
from catfish.agents.lead_firm import LeadFirm, central_factory_effect, visit_prob
from catfish.agents.provider import GENERALIST, ServiceProvider, preference_order, sector_fit
from catfish.agents.sme import (
    DEEP,
    IN_PROJECT,
    LIGHT,
    SME,
    TRANSFORMED,
    UNAWARE,
    WILLING,
    annuity_factor,
    willingness_prob,
    willingness_prob_bound,
)
from catfish.sim import metrics, projects
from catfish.sim.calendar import year_of
from catfish.sim.market import competitiveness, lost_order_share, share_demand, weigh_firms
from catfish.sim.month_state import month_state
from catfish.sim.networks import (
    Links,
    PeerSums,
    small_world_links,
    spread_change,
    supply_chain_links,
)
from catfish.sim.params import ModelParams, ParameterError, default_params
from catfish.sim.policy import Instrument, Levers, bound_hooks, check_mix, default_policy_mix
from catfish.sim.policy.month_hooks import POINTS, MonthHooks
from catfish.sim.population import (
    build_leads,
    build_providers,
    build_smes,
    hold,
    project_economics,
)
from catfish.sim.projects import (
    _decide_in_one_call,
    _lapse_and_reconsider,
    _progress_in_one_call,
    _serve_and_start,
)
from catfish.sim.start_state import apply_start_shares
from catfish.sim.streams import MonthlyDraws, RandomStreams, resolve_seed

# Streams drawn for every firm every month (common random numbers), in this order.
MONTHLY_STREAMS = ("willingness", "visit", "queue", "hardware", "failure", "gain", "lapse", "retry")


class FastCollector(mesa.DataCollector):
    """Mesa's DataCollector over the model's table of months (``sim.metrics.MonthTable``).

    Every reporter is a column of ``model.month_table``, written once a month by one compiled
    call, so collecting a month only notes its row; ``model_vars`` (what ``batch_run`` and
    Mesa's tables read) and :meth:`columns` (what ``run_one`` reads) are made from the rows
    collected when asked.
    """

    def __init__(self, model_reporters: dict[str, Any]) -> None:
        self._rows: list[int] = []  # the table's row of every month collected
        self._table: metrics.MonthTable | None = None
        super().__init__(model_reporters=model_reporters)

    def collect(self, model: mesa.Model) -> None:
        """Note the row of this month's values (one append, not one per reporter)."""
        if hasattr(self, "_collection_steps"):  # Mesa >= 3.4 records when it collected
            self._collection_steps.append(getattr(model, "time", model.steps))
        self._table = model.month_table
        self._rows.append(model.metrics_row)

    def _new_model_reporter(self, name: str, reporter: Any) -> None:
        self.model_reporters[name] = reporter  # its values: a column of the month table

    def columns(self) -> dict[str, np.ndarray]:
        """Each reporter's values over the months collected, as arrays by name."""
        if self._table is None:
            return {name: np.zeros(0) for name in self.model_reporters}
        return self._table.columns(self._rows)

    @property
    def model_vars(self) -> dict[str, list[float]]:
        """Each reporter's values month by month, as Mesa keeps them (made when asked)."""
        return {name: values.tolist() for name, values in self.columns().items()}

    @model_vars.setter
    def model_vars(self, value: dict[str, list[float]]) -> None:
        """Mesa's constructor starts it empty: the months collected are the values."""


@dataclass(frozen=True, eq=False)
class Appraisal:
    """What the model's own rules say about one firm's light and deep project in one month.

    Made by :meth:`ClusterModel.appraise`.

    Attributes:
        index: The firm's row in the model (the firm it took the place of).
        valuation: ``sim.projects.value_projects`` for the firm, the valuation
            ``sim.projects.decide`` acts on: arrays of shape (2, 1), row 0 light, row 1 deep.
        expected: The same with risk aversion 0: the plain expected NPV under the firm's
            beliefs.
        stage_failure: ``sim.projects.stage_failure_probs`` for a project starting this month
            with the given provider: shape (2, 3), light and deep, the probability of failing
            in the early, middle and late stage.
    """

    index: int
    valuation: projects.Valuation
    expected: projects.Valuation
    stage_failure: np.ndarray


class ClusterModel(mesa.Model):
    """The cluster: SMEs, service providers, lead firms and a government with its instruments.

    Args:
        params: Parameters; ``None`` uses the built-in default (Jieyang plastics cluster).
        rng: Seed (int, SeedSequence or Generator); ``None`` draws one, kept in ``self.seed``.
        policies: Policy instruments; ``None`` uses :func:`sim.policy.default_policy_mix`.
        **overrides: ``ModelParams`` field names and values (so ``mesa.batch_run`` can sweep
            them), e.g. ``ClusterModel(n_smes=2000, rng=1)``.

    Raises:
        ParameterError: A parameter is unknown or out of its allowed range.
    """

    def __init__(self, params: ModelParams | None = None, *, rng: Any = None,
                 policies: Iterable[Instrument] | None = None, **overrides: Any) -> None:
        if "seed" in overrides:  # Mesa's older keyword
            rng = overrides.pop("seed")
        if params is not None and not isinstance(params, ModelParams):
            raise ParameterError(f"params = {type(params).__name__}: expected ModelParams or None")
        p = params or default_params()
        if overrides:
            p = p.replace(**overrides)
        try:
            seed = resolve_seed(rng)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
        super().__init__(rng=seed)
        self.seed = seed
        self.params = p
        self.streams = RandomStreams(seed)
        self._draws = MonthlyDraws(self.streams, MONTHLY_STREAMS, p.n_smes, p.months)
        self.month = 0

        self.smes = build_smes(p, self.streams["population"])
        if p.start_shares:  # its own stream, drawn only when asked: other runs' draws stay
            apply_start_shares(p, self.smes, self.streams["start_state"])
        self.providers = build_providers(p, self.streams["providers"])
        self.leads = build_leads(p, self.smes)
        self._build_networks()
        self._derive_rates()

        self._agents_created = False  # SME, provider and lead-firm agents: see _create_agents
        self.government = Government(self, p.budget_rmb, p.target_firms, p.deadline_month,
                                     per_year_rmb=p.budget_per_year_rmb)
        self.instruments = list(default_policy_mix() if policies is None else policies)
        for i, message in check_mix(self.instruments, p)[:1]:
            raise ParameterError(f"policies[{i}].{message}")
        # the firms each instrument marks (accompanied, diagnosed, ...): one row each, which
        # the compiled forms of their hooks read (sim.policy.month_hooks)
        self.firm_flags_table = np.zeros((len(self.instruments), p.n_smes), bool)
        self.counters = np.zeros(len(self.instruments), np.int64)  # what each has left
        self.running_sums = np.zeros(len(self.instruments))  # what each has paid out
        # each instrument's row of these (and of sim.policy.month_hooks' terms)
        self._instrument_rows = {id(i): row for row, i in enumerate(self.instruments)}
        for instrument in self.instruments:
            instrument.setup(self)
        self.hooks = bound_hooks(self.instruments)  # hook name -> methods that do something
        self.month_hooks = MonthHooks.of(self)
        self._month_state: Any = None  # see month_state: made when a compiled phase first asks
        self._month_in_one_call = _one_call_applies(p, self.month_hooks)

        self.tally = metrics.Tally()
        self.queue_history: list[int] = []
        self.month_table = metrics.MonthTable(list(self.government.accounts), p.months)
        self.metrics_row = -1  # the table's row of the last month (none yet)
        self.datacollector = FastCollector(model_reporters={
            name: metrics.reporter(name) for name in metrics.timeseries_columns(self)})
        self.running = p.months > 0

    # --- construction helpers -----------------------------------------------------------
    def _build_networks(self) -> None:
        p, s = self.params, self.smes
        if p.network == "small_world":
            peers = small_world_links(s.sector, p.peer_mean_degree, p.rewire_prob,
                                      self.streams["network"])
            degree = np.diff(peers.indptr).astype(float)
        else:  # complete graph within each sector, computed from sector totals
            peers = None
            degree = np.bincount(s.sector, minlength=len(p.sector_names))[s.sector] - 1.0
        # the networks as CSR arrays; their scipy matrices (peers, chain) are made when asked
        self._peer_links: Links | None = peers
        self._seen = PeerSums(peers, s.sector)  # columns: holding, successes, failures
        self._chain_links = supply_chain_links(s.sector, self.leads.sector,
                                               p.suppliers_per_lead_firm,
                                               self.streams["supply_chain"])
        self._lead_of = _lead_of(self._chain_links.indptr, self._chain_links.indices)  # or -1
        self._chain_key: bytes | None = None
        self._leads_key: bytes | None = None  # lead firms' openings when last updated
        self._lead_openings: set[int] = set()
        self._chain_seen = np.zeros(p.n_smes)
        self._peer_counts = np.zeros((p.n_smes, 3))  # what each firm shows its peers
        self._peer_share = np.zeros(p.n_smes)  # what it sees (observe_peers): filled monthly
        self._successes_seen = np.zeros(p.n_smes)
        # a supplier watches its lead firm as if it were chain_exposure_weight peers
        self.inv_exposure_degree = _inverse_exposure(degree, self._lead_of,
                                                     p.chain_exposure_weight)

    def _derive_rates(self) -> None:
        p = self.params
        self.rate_promotion = p.promotion_per_year / 12 if p.promotion_on else 0.0
        self.rate_peer = p.peer_effect_per_year / 12 if p.peer_effect_on else 0.0
        self.rate_competition = p.competition_per_year / 12 if p.competition_on else 0.0
        self.lapse_per_month = p.lapse_per_year / 12
        n_sectors = len(p.sector_names)
        self.base_demand = np.bincount(self.smes.sector, weights=self.smes.base_revenue,
                                       minlength=n_sectors) \
            + np.bincount(self.leads.sector, weights=self.leads.capacity, minlength=n_sectors)
        # lookup tables by (kind, stage) and kind; row/column 0 unused
        self.stage_months = np.ones((3, 4), np.int16)
        self.stage_months[1, 1:] = p.light_stage_months
        self.stage_months[2, 1:] = p.deep_stage_months
        self.stage_ends = np.cumsum(self.stage_months[:, 1:], axis=1)  # months from start
        self.stage_base_prob = np.array([0.0, p.early_failure_prob, p.middle_failure_prob,
                                         p.late_failure_prob])
        # a light project's failure odds relative to a deep one's, by kind
        self.kind_log_odds = np.array([0.0, np.log(p.light_failure_factor), 0.0])
        self.lost_share = np.zeros(p.n_smes)
        self._provider_orders: dict[tuple[int, bool], np.ndarray] = {}
        self._provider_tables: dict[bool, np.ndarray] = {}
        self._market_changed = True  # market shares must be (re)computed this month
        self._lead_weights: np.ndarray | None = None  # the lead firms' market weight by sector
        self.levers = self._neutral_levers()
        self.annuity = annuity_factor(p.horizon_years, p.discount_rate)
        # how much a firm's next visit persuades it after k visits (numpy's power, as before)
        self.conviction = p.revisit_conviction ** np.arange(p.months + 1, dtype=float)

    @property
    def month_state(self) -> Any:
        """The arrays and fixed terms the month's compiled phases read, as one object.

        ``sim.month_state``: the model's own arrays, not copies, made when first asked for
        (a model that never runs a month does not load numba for it).
        """
        if self._month_state is None:
            self._month_state = month_state(self)
            hold(self.smes, self.providers, self.leads)  # replacing an array would be missed
        return self._month_state

    def __getstate__(self) -> dict[str, Any]:
        """Copied or pickled without the month's state object: the copy makes its own.

        The original's object holds the original's arrays, and numba's object does not pickle.
        """
        return {**self.__dict__, "_month_state": None}

    def firm_flags(self, instrument: Instrument) -> np.ndarray:
        """A flag for every firm, all down, that ``instrument`` (one of the mix) keeps.

        For an instrument that marks firms (accompanied, diagnosed, on a platform), asked in
        its ``setup``: a row of ``firm_flags_table``, which compiled code reads too.
        """
        row = self.firm_flags_table[self._instrument_rows[id(instrument)]]
        row[:] = False
        return row

    def counter(self, instrument: Instrument, start: int) -> np.ndarray:
        """A count ``instrument`` (one of the mix) keeps, such as what it has left to give.

        Asked in its ``setup``: one cell of ``counters`` (an array of one number, set to
        ``start``), which compiled code reads and counts down too.
        """
        return self._cell(self.counters, instrument, start)

    def running_sum(self, instrument: Instrument) -> np.ndarray:
        """An amount ``instrument`` (one of the mix) adds up, such as what a fund has paid.

        Asked in its ``setup``: one cell of ``running_sums`` (an array of one number, 0),
        which compiled code adds to too.
        """
        return self._cell(self.running_sums, instrument, 0.0)

    def _cell(self, table: np.ndarray, instrument: Instrument, start: float) -> np.ndarray:
        """``instrument``'s cell of ``table`` (a view of one number), set to ``start``."""
        row = self._instrument_rows[id(instrument)]
        cell = table[row:row + 1]
        cell[0] = start
        return cell

    def _neutral_levers(self) -> Levers:
        return Levers(extra_visits=np.zeros(len(self.params.sector_names)))

    def add_provider(self) -> None:
        """A new provider enters the market (the next one of the pre-drawn pool, if any)."""
        idle = np.flatnonzero(~self.providers.active)
        if len(idle):
            self.providers.active[idle[0]] = True
            if self._agents_created:
                ServiceProvider(self, int(idle[0]))
            self.tally.new_providers += 1
            self._provider_orders.clear()
            self._provider_tables.clear()

    def provider_order(self, sector: int) -> np.ndarray:
        """Active providers in the order firms of ``sector`` approach them.

        Kept until a provider enters or the rating lever changes: provider quality, fit and
        word of mouth are fixed, and the queue asks for this every month.
        """
        rated = self.levers.providers_rated
        order = self._provider_orders.get((sector, rated))
        if order is None:
            prov = self.providers
            active = np.flatnonzero(prov.active)
            order = active[preference_order(sector_fit(prov.specialty[active], sector),
                                            prov.quality[active], prov.noise[active],
                                            rated=rated)]
            self._provider_orders[(sector, rated)] = order
        return order

    def provider_orders(self) -> np.ndarray:
        """:meth:`provider_order` of every sector as the rows of one table, padded with -1."""
        rated = self.levers.providers_rated
        table = self._provider_tables.get(rated)
        if table is None:
            orders = [self.provider_order(k) for k in range(len(self.params.sector_names))]
            table = np.full((len(orders), max(map(len, orders))), -1, np.int64)
            for k, order in enumerate(orders):
                table[k, :len(order)] = order
            self._provider_tables[rated] = table
        return table

    # --- Mesa agents, created when first looked at ---------------------------------------
    def _create_agents(self) -> None:
        """Create the Mesa agents of the firms, providers and lead firms, once.

        The state lives in arrays, so the month never needs agent objects; creating thousands
        of them costs more than a whole run of a small cluster. They are made the first time
        anything asks for ``agents``, ``agents_by_type`` or ``agent_types`` (a notebook, a
        visualisation, Mesa's tools), and are then kept in step as providers enter.
        """
        if self._agents_created:
            return
        self._agents_created = True
        for i in range(self.params.n_smes):
            SME(self, i)
        for j in np.flatnonzero(self.providers.active):
            ServiceProvider(self, int(j))
        for k in range(len(self.leads.sector)):
            LeadFirm(self, k)

    @property
    def agents(self) -> Any:
        """All agents (Mesa's AgentSet); the firms' agents are created on first use."""
        self._create_agents()
        return super().agents

    @property
    def agents_by_type(self) -> Any:
        """Agents by class (Mesa's AgentSets), created on first use."""
        self._create_agents()
        return super().agents_by_type

    @property
    def agent_types(self) -> list[type]:
        """Agent classes present, after creating the agents."""
        self._create_agents()
        return super().agent_types

    @functools.cached_property
    def peers(self) -> sp.csr_matrix | None:
        """The peer network, ``n_smes x n_smes``: ones where two firms are peers (CSR).

        ``None`` for complete graphs within sectors. Made on first use from the arrays the
        month reads.
        """
        return None if self._peer_links is None else self._peer_links.matrix()

    @functools.cached_property
    def chain(self) -> sp.csr_matrix:
        """The supply chain, ``n_smes x n_leads``: a one where an SME supplies a lead firm (CSR).

        Made on first use from the arrays the month reads.
        """
        return self._chain_links.matrix()

    @property
    def metrics(self) -> dict[str, float]:
        """The last month's value of every reporter, by name (empty before the first month)."""
        if self.metrics_row < 0:
            return {}
        return self.month_table.row(self.metrics_row)

    # --- observation ----------------------------------------------------------------------
    def observe_peers(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """What each firm sees at the start of the month.

        Returns:
            ``(peer_share, successes_seen, failures_seen)``: the share of watched peers (and,
            for suppliers, their lead firm, weighted) holding an accepted transformation, and
            the numbers of successful and failed projects seen among peers. The arrays are
            the model's own, filled again next month.
        """
        s = self.smes
        if self._chain_key != (key := self.leads.operating.tobytes()):
            self._chain_key = key
            self._chain_seen = _chain_seen(self._lead_of, self.params.chain_exposure_weight,
                                           self.leads.operating)
        incremental = self._seen.incremental()
        if incremental is not None:  # a peer network, after the first month: one call
            _observe_changes(s.state, s.successes, s.failures, *incremental, self._chain_seen,
                             self.inv_exposure_degree, self._peer_share, self._successes_seen)
            return self._peer_share, self._successes_seen, incremental[3][:, 2]
        seen = self._seen(_shown_to_peers(s.state, s.successes, s.failures, self._peer_counts))
        _exposure(seen, self._chain_seen, self.inv_exposure_degree, self._peer_share,
                  self._successes_seen)
        return self._peer_share, self._successes_seen, seen[:, 2]

    # --- the month ------------------------------------------------------------------------
    def step(self) -> None:
        """Advance one month.

        Government instruments, lead firms, market, observations, willingness, decisions,
        providers, projects, lapse and retry, then data collection.
        """
        self.open_month()                             # 1. levers, budget, instruments
        p = self.params
        draws = self._draws(self.month)
        self._update_leads()                          # 2. central factories
        self._update_market()                         # 3. orders shared by competitiveness
        peer_share, seen_ok, seen_bad = self.observe_peers()   # 4. start-of-month observations
        if self._month_in_one_call:                   # 5-9 as one compiled call (below)
            self._willingness_to_retry(peer_share, seen_ok, seen_bad, draws)
        else:
            self._become_willing(peer_share, draws)   # 5. willingness hazard
            self._decide_to_retry(seen_ok, seen_bad, draws)   # 6-9
        self.metrics_row = metrics.monthly(self)      # 10. data collection
        self.datacollector.collect(self)
        if self.month >= p.months:
            self.running = False
            self._draws.release()
            for finalize in self.hooks["finalize"]:
                finalize(self)

    def _decide_to_retry(self, seen_ok: np.ndarray, seen_bad: np.ndarray,
                         draws: dict[str, np.ndarray]) -> None:
        """Steps 6-9 of :meth:`step`, phase by phase (the instruments' hooks between them)."""
        if self.params.adopt_when_willing:            # Bass docking: willing = adopted
            projects.adopt_willing(self)
            return
        projects.decide(self, seen_ok, seen_bad)      # 6. economic decision -> queue
        projects.assign_and_start(self, draws)        # 7. providers take queued firms
        projects.progress(self, draws)                # 8. stages, failure, acceptance
        projects.lapse_and_retry(self, draws)         # 9. lapse, retry after cooldown

    def _willingness_to_retry(self, peer_share: np.ndarray, seen_ok: np.ndarray,
                              seen_bad: np.ndarray, draws: dict[str, np.ndarray]) -> None:
        """Steps 5-9 of :meth:`step` in one compiled call (:func:`_month_in_one_call`).

        The same compiled phases, in the same order, that :meth:`_become_willing` and
        :meth:`_decide_to_retry` call when each phase is one call (``_one_call_applies``
        says when); what Python did between them (the month's tallies, and a new provider's
        entry, which nothing reads until next month) is done after.
        """
        levers, t = self.levers, self.tally
        (t.visits, willing, queued, started, waiting, rejected, accepted, upgraded, payback_sum,
         paybacks, lapsed) = _month_in_one_call(
            self.month_state, peer_share, seen_ok, seen_bad, draws["visit"],
            draws["willingness"], draws["queue"], draws["hardware"], draws["failure"],
            draws["gain"], draws["lapse"], draws["retry"], levers.extra_visits,
            levers.instalment_share, levers.interest_subsidy_share,
            levers.failure_reimbursement_share, self.provider_orders(),
            levers.min_provider_quality, levers.stage_log_odds,
            projects.min_verified_gain(self), levers.counting, self.government.account_spent,
            self.month)
        t.new_willing += willing  # instruments may have made some willing already
        t.new_queued += queued
        t.new_started += started
        projects._after_serving(self, waiting - started)
        projects._after_progress(self, rejected, accepted, upgraded, payback_sum, paybacks)
        projects._after_lapse(self, lapsed)

    def open_month(self) -> None:
        """Start the next month: neutral levers, a new year's budget, the instruments' ``apply``.

        Step 1 of :meth:`step`. After it, ``levers`` and the instruments' support hooks say
        what firms can count on this month (:meth:`appraise` asks them for one firm).
        """
        self.month += 1
        self.tally.reset_month()
        self.levers = self._neutral_levers()
        self.government.start_year(year_of(self.params.start_month, self.month))
        for apply in self.hooks["apply"]:
            apply(self)

    def appraise(self, month: int, *, sector: str, revenue: float, cash: float,
                 credit_access: float, talent: float, infrastructure: float,
                 cost: Sequence[float] | None = None, provider_quality: float | None = None,
                 provider_specialty: str | None = None) -> Appraisal:
        """Put a firm in place of one of the model's firms in ``month``; what do the rules say?

        For a model that has not run: opens ``month`` as step 1 of every month does (neutral
        levers, that year's budget, every instrument's ``apply``; the budget untouched by the
        months before), with the firm in place of a firm that supplies no lead firm (so no
        lead firm's platform picks it) and held out of the month's rationed selections
        (diagnosis, training), so its numbers are those of the support any firm can count on.
        The firm is willing, has seen no peer's outcome, loses no orders and has the median
        hurdle (0); its project's benefit follows its revenue (``project_economics``), its cost
        too unless given. The model stays in that month with the firm in place, so
        ``sim.projects.decide`` can be run on it; it is not meant to run on.

        Args:
            month: The month (step number, 1 to ``params.months``).
            sector: One of ``params.sector_names``.
            revenue: Annual revenue, RMB.
            cash: Cash the firm can put into a project, RMB.
            credit_access: Credit access, 0-1.
            talent: Digital talent, 0-1.
            infrastructure: Infrastructure readiness, 0-1.
            cost: Cost of a light and a deep project, RMB (default: from revenue, as every
                firm's).
            provider_quality: Quality of the provider of the project whose stage failures are
                asked (default: ``params.provider_quality_mean``).
            provider_specialty: The sector that provider specialises in (default: none, a
                generalist).

        Returns:
            The :class:`Appraisal`: ``sim.projects.value_projects`` (risk-adjusted and with
            risk aversion 0) and ``sim.projects.stage_failure_probs`` for the firm.

        Raises:
            ParameterError: The model has already run, ``month`` is not one of its months, or a
                sector is not one of its sectors.
        """
        p, s = self.params, self.smes
        if self.month != 0:
            raise ParameterError(f"appraise: the model has run {self.month} months; it needs "
                                 "a model that has not run")
        if not 1 <= month <= p.months:
            raise ParameterError(f"appraise: month = {month}: must be 1 to {p.months}")
        for name in (sector, provider_specialty):
            if name is not None and name not in p.sector_names:
                raise ParameterError(f"appraise: {name!r} is not a sector "
                                     f"(sectors: {', '.join(p.sector_names)})")
        # a firm that supplies no lead firm (a lead firm's platform picks among its suppliers)
        free = np.flatnonzero(np.diff(self._chain_links.indptr) == 0)
        i = int(free[0]) if len(free) else 0
        s.state[i] = IN_PROJECT  # no diagnosis or training picks a firm in a project
        self.month = month - 1
        self.open_month()
        economics_cost, benefit = project_economics(p, np.array([float(revenue)]))
        if cost is not None:
            economics_cost[LIGHT, 0], economics_cost[DEEP, 0] = cost
        s.sector[i] = p.sector_names.index(sector)
        s.base_revenue[i] = s.revenue[i] = s.weight[i] = revenue
        s.cash[i], s.credit_access[i] = cash, credit_access
        s.talent[i], s.infrastructure[i] = talent, infrastructure
        s.cost[:, i], s.benefit[:, i] = economics_cost[:, 0], benefit[:, 0]
        s.hurdle[i] = 0.0
        s.state[i], s.level[i], s.project_kind[i] = WILLING, 0, 0
        self.lost_share[i] = 0.0
        firms, none_seen, first_time = np.array([i]), np.zeros(1), np.zeros(1, bool)
        pair = np.array([i, i])
        specialty = GENERALIST if provider_specialty is None \
            else p.sector_names.index(provider_specialty)
        quality = p.provider_quality_mean if provider_quality is None else provider_quality
        return Appraisal(
            index=i,
            valuation=projects.value_projects(self, firms, first_time, none_seen, none_seen),
            expected=projects.value_projects(self, firms, first_time, none_seen, none_seen,
                                             risk_aversion=0.0),
            stage_failure=projects.stage_failure_probs(
                self, pair, np.array([LIGHT, DEEP]), np.full(2, float(quality)),
                sector_fit(np.full(2, specialty), s.sector[pair])))

    def _update_leads(self) -> None:
        leads = self.leads
        # central factories change only in a month one opens, or when an opening is cancelled
        openings = leads.opening.tobytes()
        if openings == self._leads_key and self.month not in self._lead_openings:
            return
        self._leads_key, self._lead_openings = openings, set(leads.opening.tolist())
        cost, quality, operating = central_factory_effect(
            self.month, leads.opening, cost_cut=leads.cost_cut, quality_gain=leads.quality_gain)
        if not np.array_equal(operating, leads.operating):
            self._market_changed = True
            self._lead_weights = None
        leads.unit_cost[:], leads.quality[:], leads.operating[:] = cost, quality, operating

    def _update_market(self) -> None:
        p, s, leads = self.params, self.smes, self.leads
        growth = (1 + p.demand_growth_per_year) ** (self.month / 12)
        if not p.market_on:
            s.revenue[:] = s.base_revenue * growth
            return
        if not self._market_changed and p.demand_growth_per_year == 0:
            return  # same weights, same demand: last month's shares still hold
        self._market_changed = False
        if self._lead_weights is None:  # until a central factory opens or closes
            w_lead = competitiveness(leads.capacity, leads.unit_cost, leads.quality,
                                     p.cost_sensitivity, p.quality_sensitivity)
            self._lead_weights = np.bincount(leads.sector, weights=w_lead,
                                             minlength=len(self.base_demand))
        # (x * 1.0 is x: without demand growth the starting figures serve as they are)
        demand, base_revenue = (self.base_demand, s.base_revenue) if growth == 1.0 \
            else (self.base_demand * growth, s.base_revenue * growth)
        _share_orders(s.weight, s.sector, demand, self._lead_weights, base_revenue, s.revenue,
                      self.lost_share)

    def set_cost_quality(self, firms: np.ndarray, unit_cost: np.ndarray | float,
                         quality: np.ndarray | float) -> None:
        """Change firms' unit cost and quality, and with them their market weight."""
        s = self.smes
        s.unit_cost[firms] = unit_cost
        s.quality[firms] = quality
        self.reweigh(firms)

    def reweigh(self, firms: np.ndarray) -> None:
        """Firms' unit cost or quality changed: their market weight follows."""
        p, s = self.params, self.smes
        self._market_changed = True
        firms = np.asarray(firms)
        if firms.dtype == bool:  # a mask, as numpy's indexing takes it
            firms = np.flatnonzero(firms)
        weigh_firms(firms, s.base_revenue, s.unit_cost, s.quality, s.weight, p.cost_sensitivity,
                    p.quality_sensitivity)

    def _become_willing(self, peer_share: np.ndarray, draws: dict[str, np.ndarray]) -> None:
        self.tally.visits, willing = _visit_and_persuade(
            self.month_state, peer_share, draws["visit"], draws["willingness"],
            self.levers.extra_visits)
        self.tally.new_willing += willing  # instruments may have made some willing already

    # --- docking --------------------------------------------------------------------------
    @classmethod
    def bass(cls, p: float, q: float, n_smes: int, seed: int, months: int = 120) -> ClusterModel:
        """The documented Bass docking configuration (``docs/model.md``, "Docking").

        Complete graph, willingness hazard only (outside promotion ``p`` and imitation ``q``,
        both per year, on monthly steps), every willing firm counts as adopted; demonstration,
        competition, market, economic gate, stages, capacity, lapse and budget are off.
        """
        return cls(
            ModelParams(
                n_smes=n_smes, months=months, deadline_month=months, network="complete",
                promotion_per_year=p, peer_effect_per_year=q, adopt_when_willing=True,
                demonstration_on=False, competition_on=False, market_on=False,
                economic_gate_on=False, stages_on=False, provider_capacity_on=False,
                lapse_on=False, retry_on=False, beliefs_on=False, budget_rmb=0.0,
                n_lead_firms_per_sector=0, suppliers_per_lead_firm=0, central_factory_month=0),
            rng=seed, policies=[])


@compiled
def _shown(state: int, successes: int, failures: int, k: int) -> float:
    """What a firm shows its peers in column ``k``: transformed (0 or 1), successes, failures."""
    if k == 0:
        return 1.0 if state == TRANSFORMED else 0.0
    return float(successes) if k == 1 else float(failures)


@compiled
def _shown_to_peers(state: np.ndarray, successes: np.ndarray, failures: np.ndarray,
                    counts: np.ndarray) -> np.ndarray:
    """What each firm shows its peers (:func:`_shown`), as the rows of ``counts``."""
    for i in range(len(state)):
        for k in range(3):
            counts[i, k] = _shown(state[i], successes[i], failures[i], k)
    return counts


@compiled
def _observe_changes(state: np.ndarray, successes: np.ndarray, failures: np.ndarray,
                     indptr: np.ndarray, indices: np.ndarray, last: np.ndarray,
                     sums: np.ndarray, chain_seen: np.ndarray, inv_exposure_degree: np.ndarray,
                     share: np.ndarray, successes_seen: np.ndarray) -> None:
    """The peers' sums corrected for what changed since ``last``, then :func:`_exposure`.

    ``observe_peers`` on a peer network after the first month, in one call and one pass over
    the firms: what a firm shows (:func:`_shown`) is compared with what it showed last month
    and a change is spread to its peers (``networks.correct_sums`` on :func:`_shown_to_peers`,
    without writing the counts first). The sums are corrected in place: handing an array back
    to Python costs a third of a microsecond.
    """
    for i in range(len(state)):
        for k in range(3):
            value = _shown(state[i], successes[i], failures[i], k)
            if value != last[i, k]:
                spread_change(indptr, indices, i, k, value - last[i, k], sums)
                last[i, k] = value
    _exposure(sums, chain_seen, inv_exposure_degree, share, successes_seen)


@compiled
def _share_orders(weights: np.ndarray, sector: np.ndarray, demand: np.ndarray,
                  lead_weights: np.ndarray, base_revenue: np.ndarray, revenue: np.ndarray,
                  lost_share: np.ndarray) -> None:
    """The market's month in one call: revenues shared, then the orders each firm lost.

    ``share_demand`` into ``revenue`` (the lead firms take their share), then
    ``lost_order_share`` into ``lost_share``.
    """
    revenue[:] = share_demand(weights, sector, demand, lead_weights)
    lost_share[:] = lost_order_share(revenue, base_revenue)


@compiled
def _lead_of(indptr: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The lead firm each firm supplies (the supply chain's CSR rows), or -1."""
    lead = np.full(len(indptr) - 1, -1, np.int64)
    for i in range(len(lead)):
        if indptr[i + 1] > indptr[i]:
            lead[i] = indices[indptr[i]]
    return lead


@compiled
def _inverse_exposure(degree: np.ndarray, lead_of: np.ndarray, weight: float) -> np.ndarray:
    """1 / (peers + ``weight`` for a supplier's lead firm), 0 for a firm that watches none."""
    inverse = np.zeros(len(degree))
    for i in range(len(degree)):
        exposure = degree[i] + (weight if lead_of[i] >= 0 else 0.0)
        if exposure > 0:
            inverse[i] = 1.0 / exposure
    return inverse


@compiled
def _chain_seen(lead_of: np.ndarray, weight: float, operating: np.ndarray) -> np.ndarray:
    """A supplier sees its lead firm's operating central factory as ``weight`` peers."""
    seen = np.zeros(len(lead_of))
    for i in range(len(lead_of)):
        if lead_of[i] >= 0 and operating[lead_of[i]]:
            seen[i] = weight
    return seen


@compiled
def _exposure(seen: np.ndarray, chain_seen: np.ndarray, inv_exposure_degree: np.ndarray,
              share: np.ndarray, successes_seen: np.ndarray) -> None:
    """Peers' sums and the lead firm a supplier watches, as ``observe_peers`` returns them."""
    for i in range(len(seen)):
        share[i] = (seen[i, 0] + chain_seen[i]) * inv_exposure_degree[i]
        successes_seen[i] = seen[i, 1] + chain_seen[i]


@compiled
def _visit_chance(lead_sector: np.ndarray, lead_visits: np.ndarray, operating: np.ndarray,
                  extra_visits: np.ndarray, demonstration_on: bool,
                  people_per_visiting_firm: float, sector: np.ndarray,
                  state: np.ndarray) -> np.ndarray:
    """Each sector's chance that a firm not yet transformed visits this month.

    Visitors (people, as the sources count them) at operating central factories, plus
    showcases and exchange sessions (``extra_visits``); a visiting firm sends several.
    """
    people = np.zeros(len(extra_visits))
    chance = np.zeros(len(people))
    for k in range(len(lead_sector)):  # in lead-firm order, as np.bincount adds them
        people[lead_sector[k]] += lead_visits[k] * operating[k]
    people = people + extra_visits
    if not demonstration_on or not (people > 0).any():
        return chance
    eligible = np.zeros(len(people), np.int64)
    for i in range(len(state)):
        if people[sector[i]] > 0 and state[i] != TRANSFORMED:
            eligible[sector[i]] += 1
    return visit_prob(people / people_per_visiting_firm, eligible)


@compiled
def _visit_and_persuade(m: Any, peer_share: np.ndarray, visit_draw: np.ndarray,
                        willingness_draw: np.ndarray, extra_visits: np.ndarray) -> tuple[int, int]:
    """This month's visits and the firms they and their peers persuade.

    Firms not yet transformed visit with their sector's chance (:func:`_visit_chance`);
    unaware firms become willing with ``agents.sme.willingness_prob``, a visit persuading less
    each time. ``m`` is the model's ``month_state`` (``sim.month_state``).

    Returns:
        ``(visits, willing)``: visits made and firms that became willing this month.
    """
    state, sector, visits_made, lost_share = m.state, m.sector, m.visits_made, m.lost_share
    conviction, visit_conversion = m.conviction, m.visit_conversion
    promotion, peer, competition = m.promotion, m.peer, m.competition
    chance = _visit_chance(m.lead_sector, m.lead_visits, m.lead_operating, extra_visits,
                           m.demonstration_on, m.people_per_visiting_firm, sector, state)
    visits = willing = 0
    for i in range(len(state)):
        visited = state[i] != TRANSFORMED and visit_draw[i] < chance[sector[i]]
        conversion = 0.0  # (a firm that did not visit is not converted by a visit)
        if visited:
            conversion = visit_conversion * conviction[visits_made[i]]
            visits_made[i] += 1
            visits += 1
        # most draws are above the chance's bound, and skip the rule's exp
        if state[i] == UNAWARE and willingness_draw[i] < willingness_prob_bound(
                peer_share[i], lost_share[i], promotion, peer, competition, conversion) \
                and willingness_draw[i] < willingness_prob(
                    peer_share[i], lost_share[i], visited, promotion, peer, competition,
                    conversion):
            state[i] = WILLING
            willing += 1
    return visits, willing


def _one_call_applies(p: ModelParams, hooks: MonthHooks) -> bool:
    """Whether steps 5-9 of a month can be one compiled call (:func:`_month_in_one_call`).

    When each of them is one call phase by phase: firms decide on the economics, providers'
    capacity and the projects' stages are modelled, and every instrument hooked into the
    month has its hooks in compiled form (``sim.policy.month_hooks``), as in every shipped
    scenario. Bass docking, a switched-off mechanism or an instrument with Python hooks takes
    the phases one by one.
    """
    return (not p.adopt_when_willing and p.economic_gate_on and p.provider_capacity_on
            and p.stages_on and hooks.compiled(*POINTS))


@compiled
def _month_in_one_call(m: Any, peer_share: np.ndarray, seen_ok: np.ndarray,
                       seen_bad: np.ndarray, visit_draw: np.ndarray,
                       willingness_draw: np.ndarray, queue_draw: np.ndarray,
                       hardware_draw: np.ndarray, failure_draw: np.ndarray,
                       gain_draw: np.ndarray, lapse_draw: np.ndarray, retry_draw: np.ndarray,
                       extra_visits: np.ndarray, instalment_share: np.ndarray,
                       interest_subsidy_share: np.ndarray, reimbursement_share: np.ndarray,
                       orders: np.ndarray, min_quality: float, lever_log_odds: np.ndarray,
                       min_gain: float, counting: bool, account_spent: np.ndarray,
                       month: int) -> tuple[int, int, int, int, int, int, int, int, float, int,
                                            int]:
    """Visits and willingness, deciding, serving and starting, progress, lapse and retry.

    Steps 5-9 of a month: :func:`_visit_and_persuade`, then ``sim.projects``'
    ``_decide_in_one_call``, ``_serve_and_start``, ``_progress_in_one_call`` and
    ``_lapse_and_reconsider``, in that order, each handed what it is handed phase by phase.
    ``m`` is the model's ``month_state`` (``sim.month_state``); the rest is this month's.

    Returns:
        ``(visits, willing, queued, started, waiting, rejected, accepted, upgraded,
        payback_years, paybacks, lapsed)``: what the phases return, in their order.
    """
    visits, willing = _visit_and_persuade(m, peer_share, visit_draw, willingness_draw,
                                          extra_visits)
    queued = _decide_in_one_call(m, seen_ok, seen_bad, instalment_share,
                                 interest_subsidy_share, reimbursement_share, month)
    started, waiting = _serve_and_start(m, queue_draw, hardware_draw, orders, min_quality,
                                        lever_log_odds, account_spent, month)
    rejected, accepted, upgraded, payback_years, paybacks = _progress_in_one_call(
        m, failure_draw, gain_draw, min_gain, counting, account_spent, month)
    lapsed = _lapse_and_reconsider(m, lapse_draw, retry_draw, month)
    return (visits, willing, queued, started, waiting, rejected, accepted, upgraded,
            payback_years, paybacks, lapsed)
