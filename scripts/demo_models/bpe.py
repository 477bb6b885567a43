"""Byte-level BPE (GPT-2 style) in plain Python, saved as a Hugging Face tokenizer.json.

The `tokenizers` library is not available on the build machine, so training and encoding
are implemented here; the output uses the standard tokenizer.json schema so that
transformers.js (and `tokenizers`) load it and produce the same ids.
"""
import heapq
import json
from collections import Counter, defaultdict

import regex

# GPT-2 pre-tokenization regex, identical to the ByteLevel pre-tokenizer with use_regex=true.
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
_PAT = regex.compile(GPT2_PATTERN)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode char mapping."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


BYTE_ENCODER = bytes_to_unicode()
BYTE_DECODER = {v: k for k, v in BYTE_ENCODER.items()}


def split_special(text, specials):
    """Split text into (segment, is_special) pieces; special tokens are matched first."""
    if not specials:
        return [(text, False)]
    pat = regex.compile("(" + "|".join(regex.escape(s) for s in sorted(specials, key=len, reverse=True)) + ")")
    out = []
    for i, piece in enumerate(pat.split(text)):
        if piece:
            out.append((piece, i % 2 == 1))
    return out


def pretokenize(segment):
    """Regex split, then map each piece's UTF-8 bytes to GPT-2's printable characters."""
    return ["".join(BYTE_ENCODER[b] for b in w.encode("utf-8")) for w in _PAT.findall(segment)]


def train_bpe(texts, vocab_size, specials):
    """Learn merges until len(specials) + 256 + len(merges) == vocab_size.

    Works on unique pre-tokenized words with their counts and updates pair counts
    incrementally (only words containing the merged pair are touched), with a lazy
    max-heap, so training on a few MB of text takes well under a couple of minutes.
    Ties are broken by the pair's symbols (lexicographically) so the result is deterministic.
    """
    word_counts = Counter()
    for t in texts:
        for seg, is_special in split_special(t, specials):
            if not is_special:
                word_counts.update(pretokenize(seg))
    base = [BYTE_ENCODER[b] for b in range(256)]
    words = [list(w) for w in word_counts]
    freqs = [word_counts[w] for w in word_counts]

    pair_counts = Counter()
    where = defaultdict(set)
    for wi, (w, f) in enumerate(zip(words, freqs)):
        for a, b in zip(w, w[1:]):
            pair_counts[(a, b)] += f
            where[(a, b)].add(wi)
    heap = [(-c, p) for p, c in pair_counts.items()]
    heapq.heapify(heap)

    merges = []
    n_merges = vocab_size - len(specials) - 256
    while len(merges) < n_merges and heap:
        negc, pair = heapq.heappop(heap)
        if pair_counts.get(pair, 0) != -negc or -negc <= 0:
            continue  # stale heap entry
        if -negc < 2:
            break  # nothing left worth merging
        merges.append(pair)
        a, b = pair
        new = a + b
        changed = set()
        for wi in list(where[pair]):
            w, f = words[wi], freqs[wi]
            for p in zip(w, w[1:]):
                pair_counts[p] -= f
                changed.add(p)
            merged, i = [], 0
            while i < len(w):
                if i + 1 < len(w) and w[i] == a and w[i + 1] == b:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(w[i])
                    i += 1
            words[wi] = merged
            for p in zip(merged, merged[1:]):
                pair_counts[p] += f
                where[p].add(wi)
                changed.add(p)
        del where[pair]
        pair_counts.pop(pair, None)
        for p in changed:
            c = pair_counts.get(p, 0)
            if c > 0:
                heapq.heappush(heap, (-c, p))
            elif p in pair_counts:
                del pair_counts[p]
    vocab = {s: i for i, s in enumerate(specials)}
    for s in base:
        vocab[s] = len(vocab)
    for a, b in merges:
        vocab[a + b] = len(vocab)
    return vocab, merges


class ByteLevelBPE:
    def __init__(self, vocab, merges, specials):
        self.vocab = vocab
        self.inv = {i: s for s, i in vocab.items()}
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        self.specials = list(specials)
        self.cache = {}

    def _bpe(self, word):
        """Standard rank-ordered BPE: repeatedly merge the lowest-rank adjacent pair (all occurrences, left to right)."""
        if word in self.cache:
            return self.cache[word]
        syms = list(word)
        while len(syms) > 1:
            best = min(((self.ranks.get(p, 1 << 30), i) for i, p in enumerate(zip(syms, syms[1:]))))
            if best[0] == 1 << 30:
                break
            a, b = self.merges[best[0]]
            out, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    out.append(a + b)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            syms = out
        ids = [self.vocab[s] for s in syms]
        self.cache[word] = ids
        return ids

    def encode(self, text):
        ids = []
        for seg, is_special in split_special(text, self.specials):
            if is_special:
                ids.append(self.vocab[seg])
            else:
                for w in pretokenize(seg):
                    ids.extend(self._bpe(w))
        return ids

    def decode(self, ids):
        out, buf = [], []
        for i in ids:
            s = self.inv[i]
            if s in self.specials:
                out.append(bytes(buf).decode("utf-8", errors="replace"))
                buf = []
                out.append(s)
            else:
                buf.extend(BYTE_DECODER[c] for c in s)
        out.append(bytes(buf).decode("utf-8", errors="replace"))
        return "".join(out)

    def token_id(self, s):
        return self.vocab[s]

    def to_tokenizer_json(self):
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": self.vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False,
                 "normalized": False, "special": True} for s in self.specials],
            "normalizer": None,
            "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
            "post_processor": None,
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                      "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False,
                      "vocab": self.vocab, "merges": [a + " " + b for a, b in self.merges]},
        }

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_tokenizer_json(), f, ensure_ascii=False)

    @classmethod
    def load(cls, path):
        j = json.load(open(path, encoding="utf-8"))
        specials = [t["content"] for t in j["added_tokens"]]
        merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in j["model"]["merges"]]
        return cls(j["model"]["vocab"], merges, specials)
