# Amazon Linux 2 builder: rpmbuild, rpmlint and Python tooling.
ARG BASE
FROM ${BASE}
RUN yum -y install rpm-build rpmlint systemd python3 python3-pip \
        shadow-utils tar gzip findutils createrepo \
 && yum clean all
WORKDIR /work
