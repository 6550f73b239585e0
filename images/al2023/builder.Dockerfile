# Amazon Linux 2023 builder: rpmbuild, rpmlint and Python tooling.
ARG BASE
FROM ${BASE}
RUN dnf -y install rpm-build rpmlint systemd-rpm-macros python3 python3-pip \
        shadow-utils tar gzip findutils createrepo_c \
 && dnf clean all
WORKDIR /work
