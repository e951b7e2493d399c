"""Prompt text -> clauses with their subjects (which objects act) and predicates (what they do).

A small, explainable parser: tokens, object mentions (names, plurals, synonyms, pronouns), clause
boundaries (punctuation, "while", "and then", "and" before a new subject...), and a phase counter
that advances on "then" so "the dog runs, then the cat jumps" happens in that order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import lexicon as lx

_TOKEN = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?|[.,;:!?]")
_SENTENCE = {".", ";", ":", "!", "?"}
_RELATIONAL = {"be", "have"}


@dataclass
class Token:
    text: str
    lower: str
    start: int
    end: int
    mentions: list[str] = field(default_factory=list)  # object names this word refers to
    verb: tuple[str, str] | None = None  # (group, base)
    pronoun: str | None = None  # "singular" | "plural" | "all"


@dataclass
class Clause:
    tokens: list[Token]
    relation: str  # "start" | "then" | "while" | "and" | "sentence" | "relative"
    subjects: list[str] = field(default_factory=list)
    subject_end: int = 0  # index in tokens where the predicate starts
    plural_subject: bool = False
    phase: int = 0
    explicit_subject: bool = False

    @property
    def predicate(self) -> list[Token]:
        return self.tokens[self.subject_end:]


def lemma(word: str) -> str:
    w = word.lower()
    if w in lx.IRREGULAR_PLURALS:
        return lx.IRREGULAR_PLURALS[w]
    if w in lx.IRREGULAR_VERB_S:
        return lx.IRREGULAR_VERB_S[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if w.endswith(lx.ES_PLURAL_ENDINGS):  # buses -> bus, minibuses -> minibus
        return w[:-2]
    if len(w) > 3 and w.endswith("es") and w[:-2].endswith(("ss", "zz", "sh", "ch", "x")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]  # runs -> run, and horses -> horse, chases -> chase, gazes -> gaze
    return w


def name_words(name: str) -> list[str]:
    """Content words of an object name: ``"red_car 2"`` -> ``["red", "car"]``."""
    words = [w for w in re.split(r"[^a-z]+", name.lower()) if w and w not in lx.DETERMINERS]
    return words or [name.lower()]


class ObjectMatcher:
    """Which object(s) a prompt word refers to: head noun, plural, or an unambiguous synonym."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        self.words = {n: name_words(n) for n in names}
        self.heads = {n: lemma(w[-1]) for n, w in self.words.items()}
        self.groups = {n: next((g for g in lx.SYNONYM_GROUPS if self.heads[n] in g), {self.heads[n]})
                       for n in names}

    def match(self, word: str, modifiers: set[str]) -> list[str]:
        key = lemma(word)
        keys = {key, word.lower()}
        if word.lower().endswith("ves"):  # leaves -> leaf, knives -> knife
            keys |= {word.lower()[:-3] + "f", word.lower()[:-3] + "fe"}
        found = [n for n in self.names if self.heads[n] in keys]
        if not found:
            found = [n for n in self.names if key in self.groups[n]]
        if len(found) > 1:  # "the red car" among "red car" / "blue car": use the adjectives
            narrowed = [n for n in found if set(self.words[n][:-1]) & modifiers]
            found = narrowed or found
        return found


def tokenize(prompt: str, matcher: ObjectMatcher) -> list[Token]:
    tokens = [Token(m.group(0), m.group(0).lower().replace("’", "'"), m.start(), m.end())
              for m in _TOKEN.finditer(prompt)]
    for i, tok in enumerate(tokens):
        modifiers = {t.lower for t in tokens[max(0, i - 3):i]}
        tok.mentions = matcher.match(tok.lower, modifiers) if tok.lower.isalpha() else []
        if tok.mentions:
            continue
        if tok.lower in lx.PRONOUNS_SINGULAR:
            tok.pronoun = "singular"
        elif tok.lower in lx.PRONOUNS_PLURAL:
            tok.pronoun = "plural"
        elif tok.lower in ("both", "everyone", "everything", "everybody"):
            tok.pronoun = "all"
        tok.verb = lx.VERB_INDEX.get(tok.lower)
    return tokens


def _starts_subject(tokens: list[Token], i: int) -> bool:
    """Does a new subject (det/adjectives, then an object or pronoun) start at ``i``?"""
    while i < len(tokens) and (tokens[i].lower in lx.DETERMINERS or tokens[i].lower in lx.APPEARANCE):
        if tokens[i].mentions or tokens[i].pronoun:
            return True
        i += 1
    return i < len(tokens) and bool(tokens[i].mentions or tokens[i].pronoun)


def _connector(tokens: list[Token], i: int) -> tuple[str, int] | None:
    """(relation, length) of a clause connector starting at token ``i``."""
    words = [t.lower for t in tokens[i:i + 2]]
    pair = " ".join(words)
    if pair in ("and then", "after that", "and later", "and finally"):
        return "then", 2
    w = words[0]
    nxt = words[1] if len(words) > 1 else ""
    if w in ("then", "afterwards", "later", "finally") or (w == "next" and nxt != "to"):
        return "then", 1
    if w in ("while", "whereas", "meanwhile", "when", "but"):
        return "while", 1
    if w == "as" and _starts_subject(tokens, i + 1):
        return "while", 1
    if w in ("which", "who", "that") and i > 0 and tokens[i - 1].lower == ",":
        return "relative", 1
    return None


def split_clauses(tokens: list[Token]) -> list[Clause]:
    clauses: list[Clause] = []
    current: list[Token] = []
    relation = "start"

    def close(next_relation: str) -> None:
        nonlocal current, relation
        if any(t.lower not in lx.DETERMINERS for t in current):
            clauses.append(Clause(current, relation))
            relation = next_relation
        elif next_relation in ("then", "while") or relation == "start":
            # nothing since the last boundary: a sentence opening with "Then" or "Meanwhile" /
            # "While" takes that relation instead of plain "sentence"
            relation = next_relation if next_relation != "sentence" else relation
        current = []

    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.lower in _SENTENCE:
            close("sentence")
            i += 1
            continue
        conn = _connector(tokens, i)
        if conn is None and tok.lower in (",", "and"):
            has_verb = any(t.verb for t in current)
            nxt = i + 1
            if tok.lower == "," and nxt < len(tokens) and tokens[nxt].lower == "and":
                nxt += 1
            conn2 = _connector(tokens, nxt) if nxt < len(tokens) else None
            if conn2 is not None:
                close(conn2[0])
                i = nxt + conn2[1]
                continue
            if has_verb and nxt < len(tokens) and (_starts_subject(tokens, nxt) or tokens[nxt].verb):
                close("and")
                i = nxt
                continue
        if conn is not None:
            close(conn[0])
            i += conn[1]
            continue
        current.append(tok)
        i += 1
    close("sentence")
    return clauses


def _subject_tokens(clause: Clause) -> tuple[list[Token], int]:
    """Mentions/pronouns before the first verb that are not objects of a preposition."""
    toks = clause.tokens
    first_verb = next((i for i, t in enumerate(toks) if t.verb), None)
    if first_verb is None:
        # an unknown verb ("scampers"): the subject noun phrase ends at the first word after the
        # first mention that is not part of a noun phrase
        first_verb = len(toks)
        start = next((i for i, t in enumerate(toks) if t.mentions or t.pronoun), None)
        if start is not None:
            for i in range(start + 1, len(toks)):
                t = toks[i]
                if not (t.mentions or t.pronoun or t.lower in lx.DETERMINERS or t.lower in lx.APPEARANCE
                        or t.lower in ("and", ",")):
                    first_verb = i
                    break
    found, end = [], 0
    for i in range(first_verb):
        t = toks[i]
        if not (t.mentions or t.pronoun):
            continue
        j = i - 1
        while j >= 0 and (toks[j].lower in lx.DETERMINERS or toks[j].lower in lx.APPEARANCE):
            j -= 1
        if j >= 0 and toks[j].lower in lx.PREPOSITIONS:
            continue
        found.append(t)
        end = i + 1
    if not found and first_verb < len(toks) and toks[first_verb].verb[1] in _RELATIONAL:
        # "there is a dog running ...": the subject follows the verb
        for i in range(first_verb + 1, len(toks)):
            if toks[i].verb and not toks[i].mentions:
                break
            if toks[i].mentions:
                found.append(toks[i])
                end = i + 1
    return found, end


def assign_subjects(clauses: list[Clause], names: list[str]) -> None:
    """Fill each clause's subjects (pronouns resolved to the previous clause's subjects) and phase."""
    previous: list[str] = []
    previous_plural = False
    mentioned: list[str] = []
    phase = 0
    phase_subjects: set[str] = set()
    last_mention: list[str] = []
    for clause in clauses:
        subject_toks, end = _subject_tokens(clause)
        subjects: list[str] = []
        plural = False
        for t in subject_toks:
            if t.mentions:
                subjects += t.mentions
                plural = plural or t.lower != lemma(t.lower) or len(t.mentions) > 1
            elif t.pronoun == "all" or (t.pronoun == "plural" and len(previous) < 2):
                subjects += mentioned or names
                plural = True
            else:
                subjects += previous
                plural = plural or t.pronoun == "plural"
        subjects = list(dict.fromkeys(subjects))
        plural = plural or len(subjects) > 1
        if subjects:
            clause.explicit_subject = True
            clause.subject_end = end
        elif clause.relation == "relative" and last_mention:
            subjects = list(last_mention)  # ", which runs away": the noun right before the comma
            plural = len(subjects) > 1
        else:
            subjects = list(previous)  # "The dog and the cat run, then jump": "jump" is theirs
            plural = previous_plural
            if not subjects and len(names) == 1:
                subjects = list(names)
                clause.subject_end = end  # "It flies up" opening the prompt: "it" is the one object
        if clause.relation == "then" or (clause.relation == "sentence" and set(subjects) & phase_subjects):
            phase += 1
            phase_subjects = set()
        clause.subjects, clause.plural_subject, clause.phase = subjects, plural, phase
        phase_subjects |= set(subjects)
        if subjects:
            previous, previous_plural = subjects, plural
        mentioned = list(dict.fromkeys(mentioned + [n for t in clause.tokens for n in t.mentions]))
        last_mention = next((t.mentions for t in reversed(clause.tokens) if t.mentions), [])


_ADJ_SUFFIXES = ("y", "ful", "ish", "ed", "ive", "ous", "ic", "al", "less", "en")


def _modifier(tok: Token) -> bool:
    if tok.lower in lx.APPEARANCE:
        return True
    unknown = tok.lower.isalpha() and not tok.verb and not tok.mentions and not tok.pronoun
    return unknown and tok.lower not in lx.PREPOSITIONS and tok.lower.endswith(_ADJ_SUFFIXES)


def noun_phrase(prompt: str, clause: Clause, name: str) -> str | None:
    """The words that introduce ``name`` in this clause ("a fluffy brown dog"), as written."""
    toks = clause.tokens
    for i, t in enumerate(toks[: clause.subject_end]):
        if name in t.mentions:
            j = i
            while j > 0 and _modifier(toks[j - 1]):
                j -= 1
            if j > 0 and toks[j - 1].lower in lx.DETERMINERS:
                j -= 1
            return prompt[toks[j].start:t.end]
    return None


def predicate_text(prompt: str, clause: Clause) -> str:
    pred = clause.predicate
    return prompt[pred[0].start:pred[-1].end] if pred else ""
