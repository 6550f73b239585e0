# Amazon Linux 2023 runtime: what a fresh instance from the AMI has and the
# container image lacks (the package list is in profile.toml).
# rpmkit fills in the placeholders from profile.toml before building; `repos` is
# the team's mirror of Amazon Linux's repositories, when RPMKIT_AL2023_REPO_FILE names one.
FROM {{ base }}
{{ repos }}
# It boots to multi-user.target, as the AMI does (systemd's own default is graphical.target).
RUN {{ install }} {{ packages }} \
 && {{ clean }} \
 && systemctl set-default multi-user.target
