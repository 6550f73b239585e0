# Amazon Linux 2023 runtime: what a fresh instance from the AMI has and the
# container image lacks (the package list is in profile.toml).
# rpmkit fills in the placeholders from profile.toml before building.
FROM {{ base }}
RUN {{ install }} {{ packages }} \
 && {{ clean }}
