#!/bin/sh
# Builds trueup's container image with buildah from local files only: no registry, no base image,
# no daemon. The layout is scripts/image-rootfs.sh's (the same as deploy/Containerfile's).
#
#   scripts/build-image.sh [--tag NAME] [--out DIR] [--source URL] [--oci-archive FILE]
#
#   --tag          image name (default localhost/trueup:VERSION from package.json)
#   --out          where the image ID (image.iid) and the SBOM (sbom.cdx.json) go (default build/image)
#   --source       org.opencontainers.image.source (default: `git remote get-url origin`, else
#                  package.json's repository.url; left out when neither exists)
#   --oci-archive  also write the image as an OCI archive (to load elsewhere: podman load -i FILE)
#
# Reproducible: the same sources, lockfile, node binary and host libraries give the same image ID.
# Every file's mtime and the image's creation time are SOURCE_DATE_EPOCH (default: the commit
# time of HEAD), the SBOM's timestamp and serial number are derived from the sources, and buildah
# writes layer entries in sorted order. `npm ci` runs once per lockfile: its output is cached in
# .cache/image-deps/ (TRUEUP_IMAGE_CACHE to move it).
#
# Needs: buildah (Debian: apt-get install buildah), npm, git (for the labels), root or a
# rootless buildah setup.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
die() {
  echo "build-image: $*" >&2
  exit 1
}

node_bin=$(readlink -f "${NODE_BIN:-$here/node_modules/.bin/node}")
version=$("$node_bin" -p "require('$here/package.json').version")
tag=localhost/trueup:$version
out=$here/build/image
source=
archive=
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --source) source=$2; shift 2 ;;
    --oci-archive) archive=$2; shift 2 ;;
    *) die "unknown argument $1 (see the comment at the top of $0)" ;;
  esac
done
command -v buildah >/dev/null || die "buildah is not installed (Debian: apt-get install -y buildah)"

[ -n "$source" ] || source=$(git -C "$here" remote get-url origin 2>/dev/null || true)
[ -n "$source" ] || source=$("$node_bin" -p "const r = require('$here/package.json').repository; (typeof r === 'string' ? r : r?.url) ?? ''")
revision=$(git -C "$here" rev-parse HEAD 2>/dev/null || echo unknown)
# A revision label must not claim a commit whose files were changed in the build.
if [ "$revision" != unknown ] && [ -n "$(git -C "$here" status --porcelain -- bin src providers package.json package-lock.json)" ]; then
  revision=$revision-dirty
fi
SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$here" log -1 --format=%ct 2>/dev/null || echo 0)}
export SOURCE_DATE_EPOCH NODE_BIN=$node_bin

# Production dependencies, once per lockfile (npm ci is most of a cold build's time).
key=$(cat "$here/package-lock.json" "$here/scripts/image-rootfs.sh" | sha256sum | cut -c1-16)-npm$(npm --version)
cache=${TRUEUP_IMAGE_CACHE:-$here/.cache/image-deps}
deps=$cache/$key
if [ ! -f "$deps/sbom.raw.json" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/.tmp.XXXXXX")
  "$here/scripts/image-rootfs.sh" deps "$tmp"
  # Two builds at once: the first to finish fills the cache, the other drops its copy.
  mv -T "$tmp" "$deps" 2>/dev/null || rm -rf "$tmp"
fi

ctr=$(buildah from --name "trueup-build-$$" scratch)
trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
root=$(buildah mount "$ctr")
"$here/scripts/image-rootfs.sh" rootfs "$root" "$deps"
mkdir -p "$out"
cp "$root/app/sbom.cdx.json" "$out/sbom.cdx.json"
buildah umount "$ctr" >/dev/null

label() {
  buildah config --label "$1=$2" --annotation "$1=$2" "$ctr"
}
[ -z "$source" ] || label org.opencontainers.image.source "$source"
[ -n "$source" ] || echo "build-image: no --source, git remote or package.json repository: org.opencontainers.image.source left out" >&2
label org.opencontainers.image.revision "$revision"
label org.opencontainers.image.version "$version"
label org.opencontainers.image.title trueup
label org.opencontainers.image.licenses "$("$node_bin" -p "require('$here/package.json').license")"
label org.opencontainers.image.created "$("$node_bin" -p "new Date($SOURCE_DATE_EPOCH * 1000).toISOString()")"
buildah config \
  --os linux --arch amd64 \
  --user 1000:1000 \
  --workingdir /app \
  --port 8080 \
  --env PATH=/usr/local/bin \
  --env NODE_ENV=production \
  --env HOME=/tmp \
  --env TRUEUP_CACHE_DIR=/var/cache/trueup \
  --env TRUEUP_CONFIG=/etc/trueup/trueup.yaml \
  --entrypoint '["/usr/local/bin/node", "/app/bin/trueup.js"]' \
  --cmd '["run", "--listen", "0.0.0.0:8080"]' \
  --stop-signal SIGTERM \
  "$ctr"

buildah commit --quiet --timestamp "$SOURCE_DATE_EPOCH" --identity-label=false --iidfile "$out/image.iid" "$ctr" "$tag" >/dev/null
[ -z "$archive" ] || buildah push --quiet "$tag" "oci-archive:$archive:$tag"
echo "$tag $(cat "$out/image.iid")"
