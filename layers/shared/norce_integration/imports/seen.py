"""The codes one import run has sent, in constant memory: a preallocated open-addressing table of 64-bit
hashes (32 MB, for up to 2 million codes; it doubles past that). A Python set of a million codes would grow
the run's memory with its size; this does not, so a 1,000-record and a 1,000,000-record run peak the same.
The hash is Python's own (SipHash, keyed per process: fine, the table lives for one run). Two different
codes with the same 64-bit hash (about 1 in 30 million at a million codes) would count as a duplicate: the
second is skipped and reported, never silently dropped."""

from array import array

MASK64 = (1 << 64) - 1

INITIAL_SLOTS = 1 << 22  # 4 Mi slots x 8 bytes
MAX_LOAD = 0.5


class SeenCodes:
    def __init__(self, slots: int = INITIAL_SLOTS) -> None:
        self._table = array("Q", [0]) * slots
        self._mask = slots - 1
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, code: str) -> bool:
        """True when ``code`` is new; False when it was added before."""
        digest = (hash(code) & MASK64) or 1  # 0 marks a free slot
        table, mask = self._table, self._mask
        index = digest & mask
        while (found := table[index]) != 0:
            if found == digest:
                return False
            index = (index + 1) & mask
        table[index] = digest
        self._count += 1
        if self._count > MAX_LOAD * (mask + 1):
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._table
        self._table = array("Q", [0]) * (2 * len(old))
        self._mask = len(self._table) - 1
        for digest in old:
            if digest:
                index = digest & self._mask
                while self._table[index]:
                    index = (index + 1) & self._mask
                self._table[index] = digest
