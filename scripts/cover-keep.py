#!/usr/bin/env python3
"""Carry a cover letter's subject and blurb from OLD into the freshly
generated NEW one (which holds git's '*** SUBJECT HERE ***' placeholders)."""
import re
import sys


def parts(text):
    """Return (subject, blurb) of a cover letter, or None if unfilled."""
    m = re.search(r'^Subject: \[[^\]]*\] (.*(?:\n .*)*)', text, re.M)
    subject = m.group(1) if m else ''
    body = text.split('\n\n', 1)[1] if '\n\n' in text else ''
    # The blurb ends where git's shortlog starts ("Name (N):" and a
    # subject indented by two spaces).
    m = re.search(r'^\S.* \(\d+\):\n  \S', body, re.M)
    blurb = body[:m.start()] if m else body
    if '*** SUBJECT HERE ***' in subject:
        return None
    return subject, blurb


def main():
    old_path, new_path = sys.argv[1], sys.argv[2]
    try:
        old = open(old_path).read()
    except OSError:
        old = ''
    new = open(new_path).read()
    kept = parts(old) if old else None
    if not kept:
        return
    subject, blurb = kept
    new = new.replace('*** SUBJECT HERE ***', subject, 1)
    new = re.sub(r'\*\*\* BLURB HERE \*\*\*\n\n', lambda _: blurb, new, 1)
    open(new_path, 'w').write(new)


if __name__ == '__main__':
    main()
