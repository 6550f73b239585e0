# The offline builder: rpmbuild, rpmlint and Python tooling on Debian bookworm.
# rpmkit fills in the base image before building.
FROM {{ base }}
COPY files/ /usr/lib/rpmkit/
RUN sh /usr/lib/rpmkit/setup-sysv.sh \
 && sh /usr/lib/rpmkit/setup-rpm.sh \
 && install -D -m 0644 /usr/lib/rpmkit/rpmlint.toml /etc/xdg/rpmlint/rpmkit-offline.toml \
 && install -d -m 0755 /work
WORKDIR /work
