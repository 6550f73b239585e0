#!/bin/sh
# Make Debian's rpm and dnf behave like Amazon Linux's: a system rpm database
# that knows what the base already provides, the systemd RPM macros, dnf vars.
set -eu
here=/usr/lib/rpmkit
install -d /etc/rpm
install -m 0644 "$here/macros.rpmkit" /etc/rpm/macros.rpmkit
install -d /usr/lib/rpm/macros.d
install -m 0644 "$here/macros.systemd" /usr/lib/rpm/macros.d/macros.systemd
install -d /etc/dnf/vars /etc/yum.repos.d /var/lib/rpm
# Debian ships no system-release package for dnf to read $releasever from.
echo 12 > /etc/dnf/vars/releasever
rpm --initdb

build=$(mktemp -d)
python3 "$here/system_provides.py" "$here/amazonlinux-names.toml" > "$build/system-provides.spec"
rpmbuild --quiet -bb --define "_topdir $build" "$build/system-provides.spec"
rpm -i --justdb --nodeps "$build"/RPMS/*/*.rpm
rm -rf "$build"
rpm -q rpmkit-system-provides
