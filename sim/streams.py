"""Named random streams: every draw comes from a stream derived from (seed, name).

Adding a stream or drawing more from one never shifts the draws of another, so a policy
change leaves unrelated fates untouched (common random numbers, DESIGN "Randomness").
"""

from __future__ import annotations

import ctypes
import zlib

import numpy as np
from catfish.agents.jit import compiled
from numpy.random.bit_generator import ISeedSequence


def stream_key(name: str) -> int:
    """Stable 32-bit key of a stream name (crc32, identical on every platform)."""
    return zlib.crc32(name.encode("utf-8"))


class RandomStreams:
    """A family of independent ``numpy.random.Generator`` objects keyed by name.

    SFC64 is used for its speed (about twice PCG64 for the monthly draws of every firm).

    Args:
        seed: Non-negative integer seed of the run.
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._streams: dict[str, np.random.Generator] = {}
        self._words: dict[str, np.ndarray] = {}  # SFC64 streams' states, as arrays (fill)
        self._seed_words = _uint32_words(self.seed)  # the seed as SeedSequence takes it

    def __getitem__(self, name: str) -> np.random.Generator:
        """The generator of stream ``name``, created on first use.

        Seeded as by ``SeedSequence(seed, spawn_key=(stream_key(name),))``, whose mixing
        :class:`StreamSeed` does in compiled code.
        """
        gen = self._streams.get(name)
        if gen is None:
            seq = StreamSeed(_mixed_pool(self._seed_words, stream_key(name)))
            gen = self._streams[name] = np.random.Generator(np.random.SFC64(seq))
        return gen

    def fill(self, name: str, out: np.ndarray) -> None:
        """Fill ``out`` with the next uniforms of stream ``name`` (:func:`fill_uniform`).

        The view of the stream's state that the compiled generator advances is made once per
        stream, not at every call.
        """
        generator, words = self[name], self._words.get(name)
        if words is None:
            words = self._words[name] = _state_words(generator.bit_generator)
        fill_uniform(generator, out, words)

    def __getstate__(self) -> dict[str, object]:
        """Pickled or copied without the state views (they point into these generators)."""
        return {**self.__dict__, "_words": {}}


class StreamSeed(ISeedSequence):
    """The words ``numpy.random.SeedSequence(seed, spawn_key=(key,))`` gives a bit generator.

    numpy mixes a seed sequence's entropy in Python-level loops, about 8 µs a stream, and a
    run opens a dozen streams or more; here the same arithmetic (numpy's ``bit_generator.pyx``:
    ``mix_entropy`` and ``generate_state``, 32-bit words) is compiled, so a stream costs about
    a microsecond. ``tests/test_determinism.py`` checks it word for word against numpy.

    Args:
        pool: The mixed entropy pool, as ``SeedSequence.pool`` (:func:`_mixed_pool`).
    """

    def __init__(self, pool: np.ndarray) -> None:
        self.pool = pool

    def generate_state(self, n_words: int, dtype: type = np.uint32) -> np.ndarray:
        """``n_words`` words of ``dtype`` (uint32 or uint64) for seeding, as numpy's."""
        if dtype is np.uint64 or np.dtype(dtype) == np.dtype(np.uint64):  # what SFC64 asks
            return _generate_state64(self.pool, int(n_words))
        if np.dtype(dtype) == np.dtype(np.uint32):
            return _generate_state(self.pool, int(n_words))
        raise ValueError(f"StreamSeed.generate_state: dtype = {dtype!r}: only uint32 or uint64")


def _uint32_words(value: int) -> np.ndarray:
    """A non-negative integer as SeedSequence takes it: 32-bit words, least significant first."""
    words = [value & 0xFFFFFFFF]
    value >>= 32
    while value:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    return np.array(words, np.uint64)


# SeedSequence's constants (numpy/random/bit_generator.pyx), 32-bit arithmetic
_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R, _MASK32 = 0xCA01F9DD, 0x4973F715, 0xFFFFFFFF
_POOL_SIZE = 4


@compiled
def _hashmix(value: np.uint64, hash_const: np.uint64) -> tuple[np.uint64, np.uint64]:
    """SeedSequence's ``hashmix``: the mixed value and the next hash constant."""
    mask = np.uint64(_MASK32)
    value = value ^ hash_const
    hash_const = (hash_const * np.uint64(_MULT_A)) & mask  # products of 32-bit words fit
    value = (value * hash_const) & mask
    return value ^ (value >> np.uint64(16)), hash_const


@compiled
def _mix(x: np.uint64, y: np.uint64) -> np.uint64:
    """SeedSequence's ``mix``: ``L * x - R * y`` in 32 bits (kept non-negative on the way)."""
    mask = np.uint64(_MASK32)
    result = (((np.uint64(_MIX_MULT_L) * x) & mask) + np.uint64(1 << 32)
              - ((np.uint64(_MIX_MULT_R) * y) & mask)) & mask
    return result ^ (result >> np.uint64(16))


@compiled
def _mixed_pool(seed_words: np.ndarray, key: int) -> np.ndarray:
    """SeedSequence's pool for entropy ``seed_words`` and spawn key ``(key,)`` (a 32-bit key).

    The seed's words are padded with zeros to the pool's size before the key's word, as
    numpy pads them when there is a spawn key.
    """
    n = max(len(seed_words), _POOL_SIZE) + 1
    entropy = np.zeros(n, np.uint64)
    entropy[:len(seed_words)] = seed_words
    entropy[n - 1] = key
    mixer = np.zeros(_POOL_SIZE, np.uint64)
    hash_const = np.uint64(_INIT_A)
    for i in range(_POOL_SIZE):  # n > _POOL_SIZE always
        mixer[i], hash_const = _hashmix(entropy[i], hash_const)
    for i_src in range(_POOL_SIZE):
        for i_dst in range(_POOL_SIZE):
            if i_src != i_dst:
                hashed, hash_const = _hashmix(mixer[i_src], hash_const)
                mixer[i_dst] = _mix(mixer[i_dst], hashed)
    for i_src in range(_POOL_SIZE, n):
        for i_dst in range(_POOL_SIZE):
            hashed, hash_const = _hashmix(entropy[i_src], hash_const)
            mixer[i_dst] = _mix(mixer[i_dst], hashed)
    return mixer.astype(np.uint32)


@compiled
def _generate_state(pool: np.ndarray, n_words: int) -> np.ndarray:
    """SeedSequence's ``generate_state`` in 32-bit words, cycling through the pool."""
    mask = np.uint64(_MASK32)
    state = np.empty(n_words, np.uint32)
    hash_const = np.uint64(_INIT_B)
    for i in range(n_words):
        value = np.uint64(pool[i % len(pool)]) ^ hash_const
        hash_const = (hash_const * np.uint64(_MULT_B)) & mask
        value = (value * hash_const) & mask
        state[i] = value ^ (value >> np.uint64(16))
    return state


@compiled
def _generate_state64(pool: np.ndarray, n_words: int) -> np.ndarray:
    """:func:`_generate_state` as 64-bit words.

    Each is two 32-bit words, the first the low half, as numpy reads them (little-endian on
    every platform).
    """
    halves = _generate_state(pool, 2 * n_words)
    words = np.empty(n_words, np.uint64)
    for i in range(n_words):
        words[i] = np.uint64(halves[2 * i]) | (np.uint64(halves[2 * i + 1]) << np.uint64(32))
    return words


def _state_words(bit_generator: np.random.SFC64) -> np.ndarray:
    """The generator's four state words (a, b, c, counter), as an array over numpy's own memory.

    numpy's SFC64 state begins with those words (``sfc64_state.s``); writing the array moves
    the generator. The array is valid while the generator lives (its stream keeps it). The
    state's address is read from the generator's capsule, numpy's public ``bitgen_t`` (its
    first field), as ``bit_generator.ctypes.state_address`` gives it: making that ctypes
    interface costs about 5 µs a generator.
    """
    bitgen = _capsule_pointer(bit_generator.capsule, b"BitGenerator")
    state = ctypes.c_void_p.from_address(bitgen).value
    return np.frombuffer(_FOUR_WORDS.from_address(state), np.uint64)


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_FOUR_WORDS = ctypes.c_uint64 * 4


def resolve_seed(rng: object) -> int:
    """Turn Mesa's ``rng`` argument (None, int, SeedSequence or Generator) into an int seed.

    None draws fresh entropy; the resulting seed is recorded so the run can be repeated.
    """
    if rng is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(0, 2**63))
    if isinstance(rng, np.random.SeedSequence):
        return int(rng.generate_state(2, np.uint64)[0] % (2**63))
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    raise ValueError(f"rng = {rng!r}: expected a non-negative integer seed, a SeedSequence, "
                     "a numpy Generator or None")


class MonthlyDraws:
    """Uniform draws for every firm every month from named streams, made a block at a time.

    Drawing ``k`` months at once gives exactly the numbers of ``k`` monthly draws (a generator
    fills arrays in order), so results do not depend on the block size; blocks only save the
    call overhead of many small draws. A block holds at most about ``BLOCK_VALUES`` numbers
    per stream, so large clusters draw a few months at a time.

    The memory of a block is filled again for the next block and, once the run is over
    (:meth:`release`), for the next run in the process (:func:`_block_memory`): a fresh block of
    a few megabytes costs the operating system more to hand out than the draws cost to make.

    Args:
        streams: The run's named streams.
        names: Stream names drawn every month.
        n: Firms (numbers per stream per month).
        months: Months in the run (no block reaches past them).
    """

    BLOCK_VALUES = 1 << 18

    def __init__(self, streams: RandomStreams, names: tuple[str, ...], n: int,
                 months: int) -> None:
        self.streams, self.names, self.n, self.months = streams, names, n, months
        self.first = 1  # month of the block's first row
        self.block: _Block | None = None

    def __call__(self, month: int) -> dict[str, np.ndarray]:
        """This month's draws, one array of ``n`` uniforms per stream name.

        The arrays are valid until the next block is drawn (a later month's call).
        """
        row = month - self.first
        if self.block is None or row >= self.block.values.shape[1]:
            size = max(1, min(self.BLOCK_VALUES // max(self.n, 1), self.months - month + 1))
            self.block = _block_memory((len(self.names), size, self.n), self.block)
            for name, values in zip(self.names, self.block.values, strict=True):
                self.streams.fill(name, values)
            self.first, row = month, 0
        return self.block.month(row, self.names)

    def release(self) -> None:
        """The run is over: leave the block's memory to the next run in this process."""
        if self.block is not None and len(_SPARE_BLOCKS) < MAX_SPARE_BLOCKS:
            _SPARE_BLOCKS.append(self.block)
        self.block = None


class _Block:
    """A block's memory, shape (stream, month, firm), and its months' rows by stream name.

    A month's rows are views into the memory, made the first time a month of the block is
    asked for and kept with it, so a block filled again (the next block, the next run) hands
    out the same views: making eight views every month cost about 2 % of a default run.

    Args:
        shape: (streams, months, firms).
    """

    __slots__ = ("_months", "_names", "values")

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.values = np.empty(shape)
        self._names: tuple[str, ...] | None = None
        self._months: list[dict[str, np.ndarray]] = []

    def month(self, row: int, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        """Month ``row`` of the block: each stream's row by name (a new dict, the block's rows)."""
        if names != self._names:
            self._names = names
            self._months = [dict(zip(names, self.values[:, r], strict=True))
                            for r in range(self.values.shape[1])]
        return self._months[row].copy()


_SPARE_BLOCKS: list[_Block] = []  # the blocks of runs that have ended, to be filled again
MAX_SPARE_BLOCKS = 4


def _block_memory(shape: tuple[int, ...], previous: _Block | None) -> _Block:
    """A block of ``shape`` to fill: the previous one, a finished run's, or a new one."""
    if previous is not None and previous.values.shape == shape:
        return previous
    for i, spare in enumerate(_SPARE_BLOCKS):
        if spare.values.shape == shape:
            return _SPARE_BLOCKS.pop(i)
    return _Block(shape)


def fill_uniform(generator: np.random.Generator, out: np.ndarray,
                 words: np.ndarray | None = None) -> None:
    """Fill ``out`` with exactly the numbers ``generator.random(out=out)`` would.

    For an SFC64 generator (every stream's) the numbers are made by a compiled copy of numpy's
    SFC64 and its conversion to doubles, about twice as fast, working on the generator's state
    where numpy keeps it (:func:`_state_words`, or ``words``, a view made before), so the
    generator is left where numpy would have left it. Other generators draw as usual.
    """
    bit_generator = generator.bit_generator
    if type(bit_generator) is not np.random.SFC64 or out.dtype != np.float64 \
            or not out.flags.c_contiguous:
        generator.random(out=out)
        return
    _sfc64_uniforms(_state_words(bit_generator) if words is None else words, out.reshape(-1))


@compiled
def _sfc64_uniforms(words: np.ndarray, out: np.ndarray) -> None:
    """The SFC64 generator of numpy (Chris Doty-Humphrey's small fast counter) and its doubles.

    ``words`` is the generator's state (a, b, c, counter), advanced in place; each double is
    the top 53 bits of a 64-bit output times 2**-53, as numpy's ``random()`` makes it.
    """
    a, b, c, counter = words[0], words[1], words[2], words[3]
    one, three, eleven = np.uint64(1), np.uint64(3), np.uint64(11)
    rotate, back = np.uint64(24), np.uint64(40)
    for i in range(len(out)):
        x = a + b + counter
        counter += one
        a = b ^ (b >> eleven)
        b = c + (c << three)
        c = ((c << rotate) | (c >> back)) + x
        out[i] = (x >> eleven) * (1.0 / 9007199254740992.0)
    words[0], words[1], words[2], words[3] = a, b, c, counter
