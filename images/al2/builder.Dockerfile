# Amazon Linux 2 builder: rpmbuild, rpmlint and Python tooling.
# rpmkit fills in the placeholders from profile.toml before building.
FROM {{ base }}
RUN {{ install }} {{ packages }} \
 && {{ clean }}
WORKDIR /work
