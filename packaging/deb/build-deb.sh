#!/usr/bin/env bash
# Builds the .deb from a published host and supportctl.
# Usage: packaging/deb/build-deb.sh HOST_DIR CTL_DIR VERSION OUTPUT.deb
#   HOST_DIR: 'dotnet publish' of host/SupportPlatform.Host (self-contained linux-x64 for a release)
#   CTL_DIR:  'dotnet publish' of tools/SupportPlatform.Ctl (same)
# SP_DEB_COMPRESSION (xz, gzip or none; default xz) sets the compression: the tests use none.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
host_dir="$1"; ctl_dir="$2"; version="$3"; output="$4"
[[ -x "$host_dir/SupportPlatform.Host" || -f "$host_dir/SupportPlatform.Host.dll" ]] || { echo "build-deb: $host_dir holds no SupportPlatform.Host" >&2; exit 1; }
[[ -f "$ctl_dir/SupportPlatform.Ctl.dll" ]] || { echo "build-deb: $ctl_dir holds no SupportPlatform.Ctl" >&2; exit 1; }
[[ "$version" =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || { echo "build-deb: '$version' is not a Debian version" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/root"
mkdir -p "$root/DEBIAN" "$root/opt/supportplatform/supportctl" "$root/etc/supportplatform" "$root/lib/systemd/system" \
  "$root/usr/bin" "$root/usr/share/doc/supportplatform"

cp -a "$host_dir/." "$root/opt/supportplatform/"
cp -a "$ctl_dir/." "$root/opt/supportplatform/supportctl/"
# Settings live in /etc (the service's content root); the defaults beside the binary are not read there.
rm -f "$root/opt/supportplatform/appsettings.Development.json"
mkdir -p "$root/opt/supportplatform/wwwroot"
install -m 0644 "$here/appsettings.json" "$root/etc/supportplatform/appsettings.json"
install -m 0640 "$here/supportplatform.env" "$root/etc/supportplatform/supportplatform.env"
install -m 0644 "$here/supportplatform.service" "$root/lib/systemd/system/supportplatform.service"
install -m 0755 "$here/supportctl" "$root/usr/bin/supportctl"
install -m 0644 "$here/../../README.md" "$root/usr/share/doc/supportplatform/README.md"
install -m 0644 "$here/../README.md" "$root/usr/share/doc/supportplatform/packaging.md"
for script in postinst prerm postrm; do
  install -m 0755 "$here/$script" "$root/DEBIAN/$script"
done
printf '/etc/supportplatform/appsettings.json\n/etc/supportplatform/supportplatform.env\n' > "$root/DEBIAN/conffiles"

size_kb=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: supportplatform
Version: $version
Architecture: amd64
Maintainer: SupportPlatform <packaging@supportplatform.invalid>
Installed-Size: $size_kb
Depends: libc6, libgcc-s1, libstdc++6, zlib1g, libssl3 | libssl1.1, libicu72 | libicu67 | libicu-dev, ca-certificates, passwd, util-linux
Recommends: postgresql-client
Suggests: postgresql
Section: net
Priority: optional
Homepage: https://supportplatform.invalid
Description: support platform for managed-service providers
 Tickets with SLA clocks on business hours, a client portal, email and phone
 support with allowances, monitoring of client systems, reports and billing.
 One self-contained service (systemd unit supportplatform) on an embedded
 database or PostgreSQL, with the supportctl administration tool.
CONTROL

compression="${SP_DEB_COMPRESSION:-xz}"
dpkg-deb --root-owner-group -Z"$compression" --build "$root" "$output" >/dev/null
echo "$output"
