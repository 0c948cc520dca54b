#!/bin/sh
# Lays out trueup's container image as a plain directory tree, so that the image has exactly one
# layout whoever builds it: scripts/build-image.sh (buildah, FROM scratch, no registry needed) and
# deploy/Containerfile (docker/podman build with a registry) both call this script.
#
#   scripts/image-rootfs.sh deps DIR              npm ci --omit=dev into DIR, plus its raw SBOM
#   scripts/image-rootfs.sh rootfs DEST DIR       the image's file tree in DEST, deps from DIR
#
# What the tree holds, and nothing else:
#   /usr/local/bin/node            the pinned Node 22 (the lockfile's `node` version; checked)
#   /lib*/...                      the shared libraries that node links against (`ldd`): glibc,
#                                  libstdc++, libgcc_s; node bundles OpenSSL and ICU itself
#   /etc/passwd, /etc/group        root and the unprivileged user trueup (1000:1000)
#   /etc/nsswitch.conf             hosts from /etc/hosts, then DNS (glibc's built-in modules)
#   /etc/ssl/certs/ca-certificates.crt   for --use-openssl-ca / NODE_EXTRA_CA_CERTS setups
#   /app/{package.json,bin,src,providers,node_modules}   trueup and its production dependencies
#   /app/sbom.cdx.json             CycloneDX SBOM of /app/node_modules written by `npm sbom`
#   /tmp (1777), /var/cache/trueup (1000), /etc/trueup   mount points for tmpfs/volumes
#
# Environment: NODE_BIN (default: the checkout's node_modules/.bin/node), SOURCE_DATE_EPOCH
# (the SBOM's timestamp; default 0), CA_BUNDLE (default /etc/ssl/certs/ca-certificates.crt).
set -eu
umask 022

here=$(cd "$(dirname "$0")/.." && pwd)
die() {
  echo "image-rootfs: $*" >&2
  exit 1
}

deps() {
  dir=$1
  mkdir -p "$dir"
  cp "$here/package.json" "$here/package-lock.json" "$dir/"
  # --ignore-scripts: the `node` package's preinstall would download a second Node; the image's
  # node is copied in by `rootfs` below. No other production dependency needs an install script.
  (cd "$dir" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error)
  # The SBOM of the tree as installed (not --package-lock-only: npm 11 then leaves out packages that
  # dev and production dependencies share). This package.json is only for `npm sbom`, which would
  # report the dev dependencies it names as missing; the image gets the repository's own.
  (cd "$dir" && "${NODE_BIN:-node}" -e '
    const fs = require("node:fs");
    const pkg = JSON.parse(fs.readFileSync("package.json", "utf8"));
    delete pkg.devDependencies;
    fs.writeFileSync("package.json", JSON.stringify(pkg, null, 2) + "\n");
  ' && npm sbom --sbom-format cyclonedx --omit dev >sbom.raw.json)
}

rootfs() {
  dest=$1
  dir=$2
  [ -d "$dir/node_modules" ] && [ -f "$dir/sbom.raw.json" ] || die "$dir holds no deps (run: $0 deps $dir)"
  node_bin=$(readlink -f "${NODE_BIN:-$here/node_modules/.bin/node}")
  [ -x "$node_bin" ] || die "no node binary at $node_bin (run npm ci, or set NODE_BIN)"
  want=$("$node_bin" -p "require('$here/package-lock.json').packages['node_modules/node'].version")
  have=$("$node_bin" --version)
  [ "$have" = "v$want" ] || die "$node_bin is $have; package-lock.json pins node $want"

  mkdir -p "$dest/usr/local/bin" "$dest/etc/ssl/certs" "$dest/etc/trueup" "$dest/app" "$dest/var/cache/trueup" "$dest/tmp"
  chmod 1777 "$dest/tmp"
  chown 1000:1000 "$dest/var/cache/trueup"
  cp "$node_bin" "$dest/usr/local/bin/node"
  chmod 0755 "$dest/usr/local/bin/node"
  # The dynamic loader and every library it resolves for node, at the paths ldd prints.
  for lib in $(ldd "$node_bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u); do
    mkdir -p "$dest$(dirname "$lib")"
    cp -L "$lib" "$dest$lib"
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\ntrueup:x:1000:1000:trueup:/tmp:/sbin/nologin\n' >"$dest/etc/passwd"
  printf 'root:x:0:\ntrueup:x:1000:\n' >"$dest/etc/group"
  printf 'hosts: files dns\n' >"$dest/etc/nsswitch.conf"
  cp -L "${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}" "$dest/etc/ssl/certs/ca-certificates.crt"

  cp "$here/package.json" "$dest/app/"
  cp -R "$here/bin" "$here/src" "$here/providers" "$dest/app/"
  cp -R "$dir/node_modules" "$dest/app/"
  # npm sbom stamps a random serial number and the current time: derive both from the sources so
  # the same sources give the same bytes (the serial is a UUID-shaped digest of the document).
  "$node_bin" -e '
    const { readFileSync, writeFileSync } = require("node:fs");
    const { createHash } = require("node:crypto");
    const [raw, out, epoch, pkg] = process.argv.slice(1);
    const bom = JSON.parse(readFileSync(raw, "utf8"));
    bom.metadata.timestamp = new Date(Number(epoch) * 1000).toISOString();
    bom.metadata.component.name = JSON.parse(readFileSync(pkg, "utf8")).name;
    delete bom.serialNumber;
    const h = createHash("sha256").update(JSON.stringify(bom)).digest("hex");
    bom.serialNumber = `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
    writeFileSync(out, JSON.stringify(bom, null, 2) + "\n");
  ' "$dir/sbom.raw.json" "$dest/app/sbom.cdx.json" "${SOURCE_DATE_EPOCH:-0}" "$here/package.json"
}

case "${1:-}" in
  deps) [ $# -eq 2 ] || die "usage: $0 deps DIR"; deps "$2" ;;
  rootfs) [ $# -eq 3 ] || die "usage: $0 rootfs DEST DEPS_DIR"; rootfs "$2" "$3" ;;
  *) die "usage: $0 deps DIR | rootfs DEST DEPS_DIR" ;;
esac
