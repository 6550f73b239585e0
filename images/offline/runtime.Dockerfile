# The offline runtime: what a fresh server has. Like Amazon Linux it enables
# nothing on install: a `disable *` default preset, no nginx default site, and
# the units Debian's maintainer scripts enabled are disabled again. logrotate runs
# from its timer only, as Amazon Linux 2023's does (no cron.daily script there,
# and no cron). SysV init
# scripts register with a chkconfig stand-in (files/chkconfig). It boots to
# multi-user.target, as a server AMI does (Debian's default is graphical.target,
# where a unit wanted only by graphical.target would start, and it must not).
# rpmkit fills in the base image before building.
FROM {{ base }}
COPY files/ /usr/lib/rpmkit/
RUN sh /usr/lib/rpmkit/setup-sysv.sh \
 && sh /usr/lib/rpmkit/setup-rpm.sh \
 && install -m 0644 /usr/lib/rpmkit/99-default-disable.preset /usr/lib/systemd/system-preset/ \
 && rm -f /etc/nginx/sites-enabled/default \
 && systemctl set-default multi-user.target \
 && rm -f /etc/cron.daily/logrotate \
 && for unit in $(find /etc/systemd/system -path '*.wants/*.service' -printf '%f\n' | sort -u); do \
        systemctl disable "$unit"; \
    done \
 && rm -rf /var/cache/apt/archives/*.deb /var/lib/apt/lists/*
