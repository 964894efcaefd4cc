"""Randomness: same seed, same run; named streams keep unrelated draws when policy changes."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
from catfish.sim import ClusterModel, run_one
from catfish.sim.policy import Grant
from catfish.sim.run import finish_run
from catfish.sim.streams import MonthlyDraws, RandomStreams, stream_key


def test_same_seed_gives_identical_frames_and_different_seeds_differ():
    a, b, c = run_one(seed=7), run_one(seed=7), run_one(seed=8)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    same = [x == y or (x != x and y != y)  # NaN equals NaN here
            for x, y in zip(a.outcomes.values(), b.outcomes.values(), strict=True)]
    assert all(same), f"outcomes differ: {a.outcomes} vs {b.outcomes}"
    assert not a.timeseries.equals(c.timeseries), "different seeds gave identical time series"


def test_a_model_stepped_by_hand_and_finished_gives_what_run_one_gives():
    model = ClusterModel(rng=7)
    while model.running:
        model.step()
    by_hand, direct = finish_run(model), run_one(seed=7)
    pd.testing.assert_frame_equal(by_hand.timeseries, direct.timeseries)
    assert by_hand.outcomes.keys() == direct.outcomes.keys(), "finish_run named other outcomes"
    differ = {name: (value, direct.outcomes[name]) for name, value in by_hand.outcomes.items()
              if not (value == direct.outcomes[name]
                      or (value != value and direct.outcomes[name] != direct.outcomes[name]))}
    assert not differ, f"finish_run's outcomes differ from run_one's: {differ}"
    assert by_hand.seed == 7 and by_hand.params == direct.params, \
        "finish_run did not keep the model's seed and parameters"


def test_streams_are_independent_of_each_other_and_of_creation_order():
    first, second = RandomStreams(3), RandomStreams(3)
    x = first["willingness"].random(5)
    second["failure"].random(1000)  # using another stream first changes nothing
    assert np.array_equal(x, second["willingness"].random(5)), "stream depends on another's use"
    assert not np.array_equal(x, RandomStreams(3)["failure"].random(5))


def test_streams_are_seeded_word_for_word_as_numpys_seed_sequence():
    # seeds of one to five 32-bit words, and stream keys of every size (crc32 of the name)
    seeds = [0, 1, 7, 2**32 - 1, 2**32, 2**63 - 1, 2**64 + 5, 10**30, 123456789012345]
    for seed in seeds:
        streams = RandomStreams(seed)
        for name in ("population", "willingness", "", "a stream name"):
            numpy_seq = np.random.SeedSequence(seed, spawn_key=(stream_key(name),))
            ours = streams[name].bit_generator.seed_seq
            assert np.array_equal(ours.pool, numpy_seq.pool), \
                f"seed {seed}, stream {name!r}: pool {ours.pool} != numpy's {numpy_seq.pool}"
            for n_words, dtype in ((3, np.uint64), (5, np.uint64), (4, np.uint32), (1, np.uint32)):
                assert np.array_equal(ours.generate_state(n_words, dtype),
                                      numpy_seq.generate_state(n_words, dtype)), \
                    f"seed {seed}, stream {name!r}: {n_words} {dtype.__name__} words differ"
            expected = np.random.Generator(np.random.SFC64(numpy_seq)).random(4)
            assert np.array_equal(streams[name].random(4), expected), \
                f"seed {seed}, stream {name!r}: draws differ from numpy's seeding"


def test_a_stream_pickles_and_goes_on_with_the_same_draws():
    stream = RandomStreams(11)["gain"]
    stream.random(3)
    copy = pickle.loads(pickle.dumps(stream))
    assert np.array_equal(copy.random(6), stream.random(6)), "a pickled stream drew otherwise"


def test_policy_change_leaves_population_network_and_monthly_draws_unchanged():
    low = ClusterModel(rng=5, policies=[Grant(share=0.1)])
    high = ClusterModel(rng=5, policies=[Grant(share=0.8)])
    for name in ("revenue", "talent", "cash", "sector", "hurdle"):
        assert np.array_equal(getattr(low.smes, name), getattr(high.smes, name)), name
    assert (low.peers != high.peers).nnz == 0, "the peer network changed with the policy"
    for _ in range(12):
        low.step()
        high.step()
    for name in ("willingness", "failure", "gain"):
        assert np.array_equal(low.streams[name].random(3), high.streams[name].random(3)), \
            f"stream {name} drifted after a policy change"


def test_monthly_draws_are_the_streams_numbers_whatever_the_block_and_its_reuse():
    names, n, months = ("willingness", "visit", "gain"), 7, 10
    for block_values in (1 << 18, 20, 7):  # one block; three months a block; one a block
        for seed in (3, 4, 3):  # the later runs fill the blocks the earlier ones left
            draws = MonthlyDraws(RandomStreams(seed), names, n, months)
            draws.BLOCK_VALUES = block_values
            expected = {name: RandomStreams(seed)[name].random((months, n)) for name in names}
            for month in range(1, months + 1):
                got = draws(month)
                assert list(got) == list(names), f"the month's draws are named {list(got)}"
                for name in names:
                    assert np.array_equal(got[name], expected[name][month - 1]), \
                        f"seed {seed}, block of {block_values}: {name} in month {month} differs"
            draws.release()
