# Amazon Linux 2 runtime: what the AMI has and the container image lacks.
ARG BASE
FROM ${BASE}
RUN yum -y install systemd shadow-utils procps-ng which findutils util-linux tar gzip \
        sudo initscripts iproute chkconfig python3 createrepo \
 && yum clean all
