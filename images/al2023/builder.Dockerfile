# Amazon Linux 2023 builder: rpmbuild, rpmlint and Python tooling.
# rpmkit fills in the placeholders from profile.toml before building; `repos` is
# the team's mirror of Amazon Linux's repositories, when RPMKIT_AL2023_REPO_FILE names one.
FROM {{ base }}
{{ repos }}
RUN {{ install }} {{ packages }} \
 && {{ clean }}
WORKDIR /work
