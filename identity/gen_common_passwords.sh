#!/usr/bin/env bash
# Regenerates identity/common_passwords.txt from two Debian packages:
# John the Ripper's password.lst (john-data; public domain) and zxcvbn's
# "passwords" frequency list (python3-zxcvbn; MIT, Dropbox). Entries are
# lower-cased, deduplicated, and kept only when at least 8 characters long
# (shorter ones fail the length rule anyway).
set -euo pipefail
out="$(cd "$(dirname "$0")" && pwd)/common_passwords.txt"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download john-data python3-zxcvbn >/dev/null
dpkg -x john-data_*.deb jd
dpkg -x python3-zxcvbn_*.deb zx
python3 - "$out" <<'PY'
import sys
sys.path.insert(0, 'zx/usr/lib/python3/dist-packages')
from zxcvbn import frequency_lists as f
john = [l.strip() for l in open('jd/usr/share/john/password.lst', encoding='latin-1') if not l.startswith('#!comment')]
seen, out = set(), []
for w in john + list(f.FREQUENCY_LISTS['passwords']):
    w = w.strip().lower()
    if len(w) >= 8 and w not in seen:
        seen.add(w)
        out.append(w)
with open(sys.argv[1], 'w') as fh:
    fh.write('# Common passwords (lowercased, 8+ characters). Sources: John the Ripper password.lst\n')
    fh.write('# (Openwall, public domain; Debian package john-data) and the zxcvbn "passwords"\n')
    fh.write('# frequency list (Copyright 2012-2013 Dropbox, Inc., MIT licence; Debian package\n')
    fh.write('# python3-zxcvbn). Regenerate with identity/gen_common_passwords.sh.\n')
    fh.write('\n'.join(out) + '\n')
PY
echo "wrote $(wc -l < "$out") lines to $out"
