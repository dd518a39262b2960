#!/bin/bash
# This test: every shell script in the source tree (by name *.sh or
# by a sh/bash shebang: the installer, the package's maintainer scripts, the
# test harness, these tests) passes Debian's shellcheck with no finding.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR
# shellcheck source=lib.sh
. "$here/lib.sh"

command -v shellcheck >/dev/null || {
  echo "needs shellcheck (package shellcheck)"
  exit 1
}
echo "shellcheck $(shellcheck --version | sed -n 's/^version: //p')"
mapfile -t scripts < <(
  cd "$src" &&
    find . \( -path './build*' -o -path './.git' -o -path './third_party' -o -name node_modules \) -prune -o \
      -type f -print | LC_ALL=C sort | while IFS= read -r f; do
      if [[ $f == *.sh ]] || head -n1 "$f" 2>/dev/null | grep -Eq '^#!(/usr)?/bin/(env )?(ba)?sh\b'; then
        printf '%s\n' "${f#./}"
      fi
    done
)
check "found the deploy scripts" grep -qx deploy/install.sh < <(printf '%s\n' "${scripts[@]}")
check "found the maintainer scripts" grep -qx deploy/debian/postinst < <(printf '%s\n' "${scripts[@]}")
for f in "${scripts[@]}"; do
  if out=$(cd "$src" && shellcheck -x "$f" 2>&1); then
    ok "$f"
  else
    bad "$f"
    indent <<<"$out"
  fi
done
finish
