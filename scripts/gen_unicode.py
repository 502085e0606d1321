#!/usr/bin/env python3
"""Generate src/engine/tokenizer/unicode_data.c: the Unicode tables of the
tokenizers.

The category table maps every code point (0 .. 0x10FFFF) to flags: its
general category group (letter, number, mark, punctuation, symbol,
separator, control, unassigned) from UnicodeData.txt plus the White_Space
property from PropList.txt, stored as ranges of equal flags for a binary
search.  WordPiece's normaliser needs two more, as llama.cpp builds them:
the simple lowercase mapping of UnicodeData.txt, and for every code point
with a canonical decomposition the first code point of its full NFD form
(the base character once its marks are stripped), as ranges.
The inputs come from Debian's unicode-data package.

    python3 scripts/gen_unicode.py            write the table
    python3 scripts/gen_unicode.py --check    exit 1 if the committed table
                                              differs from a fresh one
"""

import argparse
import os
import sys

UCD_DIR = "/usr/share/unicode"
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                      "src", "engine", "tokenizer", "unicode_data.c")
MAX_CODEPOINT = 0x110000

# keep in sync with the LLM_UNICODE_* flags of src/engine/tokenizer/unicode.h
FLAG_UNDEFINED = 0x0001
FLAG_NUMBER = 0x0002
FLAG_LETTER = 0x0004
FLAG_SEPARATOR = 0x0008
FLAG_MARK = 0x0010
FLAG_PUNCTUATION = 0x0020
FLAG_SYMBOL = 0x0040
FLAG_CONTROL = 0x0080
FLAG_WHITESPACE = 0x0100

CATEGORY_FLAGS = {
    "Cn": FLAG_UNDEFINED,
    "Cc": FLAG_CONTROL, "Cf": FLAG_CONTROL, "Co": FLAG_CONTROL, "Cs": FLAG_CONTROL,
    "Ll": FLAG_LETTER, "Lm": FLAG_LETTER, "Lo": FLAG_LETTER, "Lt": FLAG_LETTER,
    "Lu": FLAG_LETTER,
    "Mc": FLAG_MARK, "Me": FLAG_MARK, "Mn": FLAG_MARK,
    "Nd": FLAG_NUMBER, "Nl": FLAG_NUMBER, "No": FLAG_NUMBER,
    "Pc": FLAG_PUNCTUATION, "Pd": FLAG_PUNCTUATION, "Pe": FLAG_PUNCTUATION,
    "Pf": FLAG_PUNCTUATION, "Pi": FLAG_PUNCTUATION, "Po": FLAG_PUNCTUATION,
    "Ps": FLAG_PUNCTUATION,
    "Sc": FLAG_SYMBOL, "Sk": FLAG_SYMBOL, "Sm": FLAG_SYMBOL, "So": FLAG_SYMBOL,
    "Zl": FLAG_SEPARATOR, "Zp": FLAG_SEPARATOR, "Zs": FLAG_SEPARATOR,
}


def read_lines(name):
    path = os.path.join(UCD_DIR, name)
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                yield line


def unicode_version():
    """The version line of ReadMe.txt, e.g. "15.0.0", or "unknown"."""
    try:
        with open(os.path.join(UCD_DIR, "ReadMe.txt"), encoding="utf-8") as f:
            for line in f:
                if "Version" in line and "of the Unicode" in line:
                    for word in line.split():
                        if word[:1].isdigit():
                            return word.rstrip(".")
    except OSError:
        pass
    return "unknown"


def build_flags():
    flags = [FLAG_UNDEFINED] * MAX_CODEPOINT
    first = None
    for line in read_lines("UnicodeData.txt"):
        fields = line.split(";")
        cpt = int(fields[0], 16)
        name = fields[1]
        cat = CATEGORY_FLAGS[fields[2]]
        # large blocks (CJK, Hangul, private use...) are given as a pair of
        # "<..., First>" and "<..., Last>" lines
        if name.endswith(", First>"):
            first = cpt
            continue
        if name.endswith(", Last>"):
            for c in range(first, cpt + 1):
                flags[c] = cat
            first = None
            continue
        flags[cpt] = cat
    for line in read_lines("PropList.txt"):
        rng, prop = [s.strip() for s in line.split(";")]
        if prop != "White_Space":
            continue
        lo, _, hi = rng.partition("..")
        for c in range(int(lo, 16), int(hi or lo, 16) + 1):
            flags[c] |= FLAG_WHITESPACE
    return flags


def first_of_decomposition(decomp, cpt):
    """First code point of the full canonical decomposition of cpt."""
    # Hangul syllables decompose algorithmically, to their leading jamo
    if 0xAC00 <= cpt <= 0xD7A3:
        return 0x1100 + (cpt - 0xAC00) // 588
    while cpt in decomp:
        cpt = decomp[cpt]
    return cpt


def build_case_and_nfd():
    """(lowercase pairs, NFD base ranges (first, last, base))."""
    lower = []
    decomp = {}
    for line in read_lines("UnicodeData.txt"):
        fields = line.split(";")
        cpt = int(fields[0], 16)
        if fields[13]:
            lower.append((cpt, int(fields[13], 16)))
        # canonical decompositions only: compatibility ones carry a <tag>
        if fields[5] and not fields[5].startswith("<"):
            decomp[cpt] = int(fields[5].split()[0], 16)
    ranges = []
    for cpt in sorted(set(decomp) | set(range(0xAC00, 0xD7A4))):
        base = first_of_decomposition(decomp, cpt)
        if base == cpt:
            continue
        if ranges and ranges[-1][1] == cpt - 1 and ranges[-1][2] == base:
            ranges[-1] = (ranges[-1][0], cpt, base)
        else:
            ranges.append((cpt, cpt, base))
    return sorted(lower), ranges


def render_case_and_nfd(lower, ranges):
    out = []
    out.append("")
    out.append("const int\tLlmUnicodeLowerCount = %d;" % len(lower))
    out.append("")
    out.append("/* code point, its simple lowercase mapping; sorted */")
    out.append("const uint32_t LlmUnicodeLower[%d][2] = {" % len(lower))
    for i in range(0, len(lower), 4):
        row = ", ".join("{0x%05X, 0x%05X}" % p for p in lower[i:i + 4])
        out.append("\t" + row + ("," if i + 4 < len(lower) else ""))
    out.append("};")
    out.append("")
    out.append("const int\tLlmUnicodeNfdCount = %d;" % len(ranges))
    out.append("")
    out.append("/* first, last code point, first code point of their NFD form; sorted */")
    out.append("const uint32_t LlmUnicodeNfd[%d][3] = {" % len(ranges))
    for i in range(0, len(ranges), 3):
        row = ", ".join("{0x%05X, 0x%05X, 0x%05X}" % r for r in ranges[i:i + 3])
        out.append("\t" + row + ("," if i + 3 < len(ranges) else ""))
    out.append("};")
    return out


def render(flags):
    starts = []
    values = []
    for cpt, f in enumerate(flags):
        if not values or values[-1] != f:
            starts.append(cpt)
            values.append(f)

    out = []
    out.append("/*-------------------------------------------------------------------------")
    out.append(" *")
    out.append(" * unicode_data.c")
    out.append(" *\t  Unicode category flags of every code point, as ranges; lowercase")
    out.append(" *\t  mappings and NFD base characters for WordPiece's normaliser.")
    out.append(" *")
    out.append(" * GENERATED by scripts/gen_unicode.py from UnicodeData.txt and")
    out.append(" * PropList.txt (Unicode %s, Debian package unicode-data); do not edit." % unicode_version())
    out.append(" * Range i covers the code points from LlmUnicodeRangeStart[i] up to the")
    out.append(" * next range's start (the last one up to U+10FFFF).")
    out.append(" *")
    out.append(" *-------------------------------------------------------------------------")
    out.append(" */")
    out.append('#include "tokenizer/unicode.h"')
    out.append("")
    out.append("const int\tLlmUnicodeRangeCount = %d;" % len(starts))
    out.append("")
    out.append("const uint32_t LlmUnicodeRangeStart[%d] = {" % len(starts))
    for i in range(0, len(starts), 8):
        row = ", ".join("0x%05X" % s for s in starts[i:i + 8])
        out.append("\t" + row + ("," if i + 8 < len(starts) else ""))
    out.append("};")
    out.append("")
    out.append("const uint16_t LlmUnicodeRangeFlags[%d] = {" % len(values))
    for i in range(0, len(values), 8):
        row = ", ".join("0x%03X" % v for v in values[i:i + 8])
        out.append("\t" + row + ("," if i + 8 < len(values) else ""))
    out.append("};")
    out.append("")
    out.append("const uint16_t LlmUnicodeAsciiFlags[128] = {")
    for i in range(0, 128, 8):
        row = ", ".join("0x%03X" % flags[c] for c in range(i, i + 8))
        out.append("\t" + row + ("," if i + 8 < 128 else ""))
    out.append("};")
    out.extend(render_case_and_nfd(*build_case_and_nfd()))
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="compare with the committed table instead of writing it")
    args = parser.parse_args()

    try:
        text = render(build_flags())
    except OSError as e:
        print("gen_unicode: cannot read the Unicode data (%s); "
              "install the unicode-data package" % e, file=sys.stderr)
        return 2

    if args.check:
        try:
            with open(OUTPUT, encoding="utf-8") as f:
                committed = f.read()
        except OSError as e:
            print("gen_unicode: cannot read %s: %s" % (OUTPUT, e), file=sys.stderr)
            return 1
        if committed != text:
            print("gen_unicode: src/engine/tokenizer/unicode_data.c differs from a table "
                  "generated from %s; run scripts/gen_unicode.py" % UCD_DIR,
                  file=sys.stderr)
            return 1
        print("gen_unicode: src/engine/tokenizer/unicode_data.c is up to date")
        return 0

    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    print("gen_unicode: wrote %s" % os.path.normpath(OUTPUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
