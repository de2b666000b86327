"""LaTeX as found in BibTeX values -> Unicode text, for display and search.

Fast by design: a string without ``\\``, ``{``, ``}``, ``$``, ``~`` or a dash/quote ligature
is returned as it is (whitespace collapsed), and results are cached, since BibTeX files repeat
the same venues, names and macros many times. Handles accents in every spelling
(``{\\"u}``, ``\\"u``, ``\\"{u}``, ``\\'{\\i}``, ``\\c c``), special letters (``\\ss``, ``\\o``,
``\\ae``, ``\\l``...), escapes (``\\&``, ``\\%``, ``\\_``, ``\\{``), ``--``/``---``/quote
ligatures, ``~``, text commands (``\\textendash``, ``\\textbf{...}``, ``\\emph{...}``), a few
math symbols, and removes grouping braces. Unknown commands with an argument keep the
argument; unknown commands without one are kept verbatim, so nothing is silently lost.

:func:`escape` goes the other way for generated BibTeX: Unicode text -> a value that
:func:`decode` turns back into the same text.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = ["decode", "escape", "needs_decoding"]

# Accent commands -> combining characters.
_ACCENTS = {
    "`": "\u0300", "'": "\u0301", "^": "\u0302", "~": "\u0303", "=": "\u0304",
    "u": "\u0306", ".": "\u0307", '"': "\u0308", "r": "\u030a", "H": "\u030b",
    "v": "\u030c", "d": "\u0323", "c": "\u0327", "k": "\u0328", "b": "\u0331",
    "t": "\u0361",
}
# Commands that stand for a character (or a short text).
_SYMBOLS = {
    "ss": "ß", "SS": "SS", "o": "ø", "O": "Ø", "ae": "æ", "AE": "Æ", "oe": "œ", "OE": "Œ",
    "aa": "å", "AA": "Å", "l": "ł", "L": "Ł", "i": "ı", "j": "ȷ", "dh": "ð", "DH": "Ð",
    "th": "þ", "TH": "Þ", "ng": "ŋ", "NG": "Ŋ", "dj": "đ", "DJ": "Đ",
    "textendash": "–", "textemdash": "—", "textquoteleft": "‘", "textquoteright": "’",
    "textquotedblleft": "“", "textquotedblright": "”", "textquotesingle": "'",
    "textquotedbl": '"', "textbackslash": "\\", "textasciitilde": "~",
    "textasciicircum": "^", "textunderscore": "_", "textbar": "|", "textless": "<",
    "textgreater": ">", "textbullet": "•", "textdagger": "†", "textdaggerdbl": "‡",
    "textregistered": "®", "texttrademark": "™", "textcopyright": "©", "copyright": "©",
    "textdegree": "°", "textellipsis": "…", "ldots": "…", "dots": "…", "cdots": "⋯",
    "textsection": "§", "S": "§", "P": "¶", "pounds": "£", "euro": "€", "texteuro": "€",
    "textexclamdown": "¡", "textquestiondown": "¿", "guillemotleft": "«",
    "guillemotright": "»", "textperiodcentered": "·", "textmu": "µ",
    "LaTeX": "LaTeX", "TeX": "TeX", "BibTeX": "BibTeX", "LaTeXe": "LaTeX2e",
    "slash": "/", "quad": " ", "qquad": " ", "enspace": " ", "space": " ",
    "relax": "", "protect": "", "noopsort": "", "nobreak": "", "ignorespaces": "",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
    "varepsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι",
    "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ",
    "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "φ", "chi": "χ",
    "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ",
    "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω", "ell": "ℓ", "infty": "∞", "times": "×", "cdot": "·", "pm": "±",
    "mp": "∓", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "neq": "≠", "ne": "≠",
    "approx": "≈", "sim": "∼", "to": "→", "rightarrow": "→", "leftarrow": "←",
    "Rightarrow": "⇒", "in": "∈", "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏",
    "sqrt": "√", "circ": "∘", "star": "⋆", "ast": "∗", "mid": "|", "emptyset": "∅",
    "exists": "∃", "nexists": "∄", "forall": "∀", "neg": "¬", "lnot": "¬", "wedge": "∧",
    "land": "∧", "vee": "∨", "lor": "∨", "cup": "∪", "cap": "∩", "bigcup": "⋃",
    "bigcap": "⋂", "subseteq": "⊆", "subset": "⊂", "supseteq": "⊇", "supset": "⊃",
    "notin": "∉", "models": "⊨", "vdash": "⊢", "top": "⊤", "bot": "⊥", "equiv": "≡",
    "leftrightarrow": "↔", "Leftrightarrow": "⇔", "Leftarrow": "⇐", "mapsto": "↦",
    "langle": "⟨", "rangle": "⟩", "ll": "≪", "gg": "≫", "propto": "∝", "div": "÷",
    "setminus": "∖", "oplus": "⊕", "otimes": "⊗", "odot": "⊙", "int": "∫", "hbar": "ℏ",
    "Re": "ℜ", "Im": "ℑ", "aleph": "ℵ", "prime": "′", "dagger": "†", "vert": "|",
    "lvert": "|", "rvert": "|", "Vert": "‖", "|": "‖", "lbrace": "{", "rbrace": "}",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "varrho": "ϱ", "varpi": "ϖ",
    "varsigma": "ς", "omicron": "ο", "log": "log", "ln": "ln", "exp": "exp", "min": "min",
    "max": "max", "sin": "sin", "cos": "cos", "tan": "tan", "lim": "lim", "arg": "arg",
    "argmin": "argmin", "argmax": "argmax", "det": "det", "sup": "sup", "inf": "inf",
    "dim": "dim", "ker": "ker", "Pr": "Pr", "gcd": "gcd", "mod": "mod", "bmod": "mod",
    "pmod": "mod", "colon": ":", "cdotp": "·", "vdots": "⋮", "ddots": "⋱",
    "ensuremath": "", "displaystyle": "", "textstyle": "", "scriptstyle": "", "left": "",
    "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "limits": "", "nolimits": "",
    # font switches and sizes: {\sc X}, {\bf X}, {\em X}... show X
    "sc": "", "bf": "", "it": "", "em": "", "rm": "", "sf": "", "tt": "", "sl": "", "cal": "",
    "scshape": "", "bfseries": "", "itshape": "", "upshape": "", "mdseries": "", "slshape": "",
    "rmfamily": "", "sffamily": "", "ttfamily": "", "normalfont": "", "tiny": "",
    "scriptsize": "", "footnotesize": "", "small": "", "normalsize": "", "large": "",
    "Large": "", "LARGE": "", "huge": "", "Huge": "", "boldmath": "", "unboldmath": "",
    "frenchspacing": "", "sloppy": "", "hfill": "", "newline": " ", "linebreak": " ",
    "par": " ", "smallskip": " ", "medskip": " ", "bigskip": " ", "noindent": "",
}
# Symbols that are letters of a word (``Stra\ss e``) or switches: the spaces after them are
# TeX's end of the command name. After any other symbol (``2 \times 2``, ``\log n``) a
# space is kept, so the words around it stay apart.
_EAT_SPACE = frozenset({
    "ss", "SS", "o", "O", "ae", "AE", "oe", "OE", "aa", "AA", "l", "L", "i", "j", "dh", "DH",
    "th", "TH", "ng", "NG", "dj", "DJ", "relax", "protect", "noopsort", "nobreak",
    "ignorespaces",
}) | frozenset(k for k, v in _SYMBOLS.items() if v == "")
# Commands that take one argument (shown as is); without braces their argument is the
# next token, as in TeX (``{\textit X}``).
_ONE_ARG = frozenset({
    "textit", "textbf", "textsc", "textrm", "textsf", "texttt", "textsl", "textup", "textmd",
    "textnormal", "emph", "mathrm", "mathbf", "mathit", "mathcal", "mathbb", "mathsf",
    "mathtt", "mathfrak", "mathscr", "boldsymbol", "bm", "operatorname", "text", "mbox",
    "hbox", "underline", "overline", "hat", "bar", "tilde", "vec", "dot", "ddot", "widehat",
    "widetilde", "url", "uline", "textsuperscript", "textsubscript", "MakeUppercase",
    "uppercase", "MakeLowercase", "lowercase", "acronym", "ac", "NoCaseChange",
})
# Single-character escapes: \& \% ...; \- (hyphenation) and \/ (italic correction) vanish.
_ESCAPES = {
    "&": "&", "%": "%", "$": "$", "#": "#", "_": "_", "{": "{", "}": "}", " ": " ",
    ",": " ", ";": " ", ":": " ", "!": "", "-": "", "/": "", "@": "", "\\": " ",
    "(": "", ")": "", "[": "", "]": "",
    "\n": " ", "\t": " ",
}
# Commands whose braced argument is shown as is (formatting / wrappers).
_SPECIAL = re.compile(r"[\\{}$~]|--|``|''")
_WS = re.compile(r"\s+")
_NAME = re.compile(r"[A-Za-z]+")


def needs_decoding(text: str) -> bool:
    """Whether ``text`` holds anything :func:`decode` would change besides whitespace."""
    return _SPECIAL.search(text) is not None


def decode(text: str | None) -> str:
    """Unicode for a LaTeX/BibTeX value (braces removed, whitespace collapsed)."""
    if not text:
        return ""
    if _SPECIAL.search(text) is None:
        if "  " in text or "\n" in text or "\t" in text or text[:1] == " " or text[-1:] == " ":
            return " ".join(text.split())
        return text
    return _decode_cached(text)


@lru_cache(maxsize=131072)
def _decode_cached(text: str) -> str:
    out = _Decoder(text).run()
    return " ".join(unicodedata.normalize("NFC", out).split())


class _Decoder:
    """A single left-to-right pass with a one-token lookahead for accent arguments."""

    __slots__ = ("s", "i", "n")

    def __init__(self, s: str) -> None:
        self.s = s
        self.i = 0
        self.n = len(s)

    def run(self, stop_at_brace: bool = False, stop_at_dollar: bool = False) -> str:
        s, n = self.s, self.n
        parts: list[str] = []
        while self.i < n:
            c = s[self.i]
            if c == "\\":
                parts.append(self._command())
            elif c == "{":
                self.i += 1
                parts.append(self.run(stop_at_brace=True))
            elif c == "}":
                self.i += 1
                if stop_at_brace:
                    return "".join(parts)
                # an unbalanced closing brace: drop it
            elif c == "$":
                self.i += 1
                if stop_at_dollar:
                    return "".join(parts)
                if s.startswith("$", self.i):  # $$ display math
                    self.i += 1
                parts.append(self.run(stop_at_brace=False, stop_at_dollar=True))
            elif c == "~":
                self.i += 1
                parts.append(" ")
            elif c == "-" and s.startswith("--", self.i):
                if s.startswith("---", self.i):
                    parts.append("—")
                    self.i += 3
                else:
                    parts.append("–")
                    self.i += 2
            elif c == "`" and s.startswith("``", self.i):
                parts.append("“")
                self.i += 2
            elif c == "'" and s.startswith("''", self.i):
                parts.append("”")
                self.i += 2
            else:
                m = _SPECIAL.search(s, self.i + 1)
                j = m.start() if m else n
                if stop_at_dollar:
                    k = s.find("$", self.i + 1)
                    if k != -1 and k < j:
                        j = k
                parts.append(s[self.i : j])
                self.i = j
        return "".join(parts)

    def _command(self) -> str:
        s = self.s
        self.i += 1  # the backslash
        if self.i >= self.n:
            return "\\"
        c = s[self.i]
        if c in _ACCENTS and not (c.isalpha() and self._letters_follow()):
            self.i += 1
            return self._accent(_ACCENTS[c])
        m = _NAME.match(s, self.i)
        if not m:
            self.i += 1
            return _ESCAPES.get(c, c)
        name = m.group()
        self.i = m.end()
        after_name = self.i
        # A control word eats the spaces after it.
        while self.i < self.n and s[self.i] in " \t\n":
            self.i += 1
        if name in _ACCENTS:
            return self._accent(_ACCENTS[name])
        sym = _SYMBOLS.get(name)
        if sym is not None:
            if s.startswith("{}", self.i):
                self.i += 2
                return sym
            if self.i > after_name and name not in _EAT_SPACE:
                return sym + " "
            return sym
        if name in ("frac", "dfrac", "tfrac") and s.startswith("{", self.i):
            self.i += 1
            num = self.run(stop_at_brace=True)
            while self.i < self.n and s[self.i] in " \t\n":
                self.i += 1
            if not s.startswith("{", self.i):
                return num
            self.i += 1
            den = self.run(stop_at_brace=True)
            return f"{_group(num)}/{_group(den)}"
        if name in _ONE_ARG and not s.startswith("{", self.i):
            return ""  # the argument is what follows
        if self.i < self.n and s[self.i] == "{":
            # \textbf{...}, \emph{...}, \url{...}, unknown \cmd{...}: keep the argument.
            self.i += 1
            return self.run(stop_at_brace=True)
        # Unknown and argument-less: keep it verbatim (and the space after it).
        return "\\" + name + (" " if self.i > after_name else "")

    def _letters_follow(self) -> bool:
        """``\\u``, ``\\v``... are accents only when not the start of a longer word."""
        j = self.i + 1
        return j < self.n and s_isalpha(self.s[j])

    def _accent(self, mark: str) -> str:
        s = self.s
        while self.i < self.n and s[self.i] == " ":
            self.i += 1
        if self.i >= self.n:
            return mark
        c = s[self.i]
        if c == "{":
            self.i += 1
            base = self.run(stop_at_brace=True)
        elif c == "\\":
            base = self._command()
        else:
            self.i += 1
            base = c
        if not base:
            return ""
        # Accents go on the first letter (a tie sits between the first two); a dotless
        # i or j under an accent is the plain letter.
        first = {"ı": "i", "ȷ": "j"}.get(base[0], base[0])
        return first + mark + base[1:]


def _group(text: str) -> str:
    """A fraction's numerator or denominator, in parentheses when it is not one word."""
    text = text.strip()
    return text if text.isalnum() or len(text) <= 1 else f"({text})"


def s_isalpha(c: str) -> bool:
    return c.isascii() and c.isalpha()


# -- Unicode -> BibTeX value -------------------------------------------------------------
_ESCAPE_TABLE = str.maketrans({
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
})


def escape(text: str) -> str:
    """A BibTeX value (to be put in braces) that :func:`decode` turns back into ``text``.

    Non-ASCII letters stay as UTF-8 (biber and bibtexparser read them); braces and TeX
    specials are escaped, and ``--``/quote ligatures are broken with ``{}``.
    """
    out = text.translate(_ESCAPE_TABLE)
    if "--" in out:
        out = out.replace("--", "-{}-").replace("--", "-{}-")
    if "``" in out:
        out = out.replace("``", "`{}`")
    if "''" in out:
        out = out.replace("''", "'{}'")
    return out
