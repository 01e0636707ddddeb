#!/bin/sh
# Prints the version of this checkout in Debian's form, which dpkg orders
# as the history does:
#   on a tag v1.2.0                      1.2.0
#   5 commits after it (git describe)    1.2.0+git5.gb2d566a
#   a tag v1.3.0-rc.1                    1.3.0~rc.1   (before 1.3.0)
#   no tag yet                           0.0.0~git20261206063643.b2d566a (the commit's UTC time)
# A modified work tree adds +dirty (after the same version clean).
set -eu
cd "$(dirname "$0")/.."
dirty=""
if ! git diff --quiet HEAD -- 2>/dev/null; then dirty="+dirty"; fi
if d=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
	d=${d#v}
	case "$d" in
	*-*-g*) # <tag>-<n>-g<hash>
		hash=${d##*-g}; rest=${d%-g*}; n=${rest##*-}; tag=${rest%-*}
		v="$(printf '%s' "$tag" | tr - '~')+git$n.g$hash" ;;
	*) v=$(printf '%s' "$d" | tr - '~') ;;
	esac
else
	v="0.0.0~git$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S).$(git rev-parse --short=7 HEAD)"
fi
printf '%s%s\n' "$v" "$dirty"
