# Amazon Linux 2023 runtime: what the AMI has and the container image lacks.
ARG BASE
FROM ${BASE}
RUN dnf -y install systemd shadow-utils procps-ng which findutils util-linux tar gzip \
        sudo initscripts iproute createrepo_c \
 && dnf clean all
