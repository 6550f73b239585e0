#!/bin/sh
# SysV init scripts as Amazon Linux lays them out, on Debian: a stand-in.
#
# Amazon Linux keeps init scripts in /etc/rc.d/init.d and runlevel links in
# /etc/rc.d/rc[0-6].d (with /etc/init.d and /etc/rcN.d as links to them), and
# registers scripts with chkconfig. Debian keeps the real directories at
# /etc/init.d and /etc/rcN.d, which its packages own and systemd's SysV
# generator reads, and has no chkconfig. Replacing Debian's directories with
# links would break its own packages, so the links go the other way:
# /etc/rc.d/init.d -> ../init.d and /etc/rc.d/rcN.d -> ../rcN.d. An RPM's
# /etc/rc.d/init.d/NAME then lands where the generator finds it, and
# files/chkconfig (the stand-in) manages the S/K links through the same paths.
set -eu
here=/usr/lib/rpmkit
install -d /etc/init.d /etc/rc.d
ln -sfn ../init.d /etc/rc.d/init.d
for level in 0 1 2 3 4 5 6; do
    install -d "/etc/rc$level.d"
    ln -sfn "../rc$level.d" "/etc/rc.d/rc$level.d"
done
install -m 0755 "$here/chkconfig" /usr/sbin/chkconfig
