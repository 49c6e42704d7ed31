#!/usr/bin/env bash
# The .deb (cpack -G DEB in the build folder): it holds the binary, its man page, its bash
# completion, the site schema and the example sites; dpkg-shlibdeps found its libraries; and
# the binary unpacked from it runs an example site. Also: the completion completes.
# Usage: package.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && cpack -G DEB --config "$build/CPackConfig.cmake" >cpack.log 2>&1) || { cat "$work/cpack.log" >&2; exit 1; }
deb=$(ls "$work"/dctwin_*_amd64.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/dctwin ./usr/share/man/man1/dctwin.1 ./usr/share/bash-completion/completions/dctwin \
         ./usr/share/dctwin/site.schema.json ./usr/share/dctwin/sites/example-pod.yaml; do
  grep -q " $f\$" <<<"$contents" || { echo "the package lacks $f" >&2; exit 1; }
done
if grep -q "sites/broken" <<<"$contents"; then echo "the package holds the broken test sites" >&2; exit 1; fi
depends=$(dpkg-deb -f "$deb" Depends)
for lib in libsundials-cvodes libhdf5 libudunits2 libvtk9; do
  grep -q "$lib" <<<"$depends" || { echo "Depends lacks $lib: $depends" >&2; exit 1; }
done
dpkg-deb -x "$deb" "$work/root"
"$work/root/usr/bin/dctwin" --version | grep -q "^dctwin [0-9]"
"$work/root/usr/bin/dctwin" check "$work/root/usr/share/dctwin/sites/example-pod.yaml" | grep -q ": ok: "
man -l "$work/root/usr/share/man/man1/dctwin.1" 2>/dev/null | grep -q "EXIT STATUS" \
  || grep -q "EXIT STATUS" "$work/root/usr/share/man/man1/dctwin.1"
# The completion, sourced as bash-completion would: subcommands, then a subcommand's options.
got=$(bash -c 'source "$1"; COMP_WORDS=(dctwin ru); COMP_CWORD=1; _dctwin; echo "${COMPREPLY[*]}";
               COMP_WORDS=(dctwin run --dur); COMP_CWORD=2; _dctwin; echo "${COMPREPLY[*]}";
               COMP_WORDS=(dctwin export --cs); COMP_CWORD=2; _dctwin; echo "${COMPREPLY[*]}"' _ \
      "$work/root/usr/share/bash-completion/completions/dctwin")
[ "$got" = $'run\n--duration\n--csv' ] || { echo "completion gave: $got" >&2; exit 1; }
echo "package: $(basename "$deb"), $(wc -l <<<"$contents") entries; completion ok"
