# Amazon Linux 2 runtime: what a fresh instance from the AMI has and the
# container image lacks (the package list is in profile.toml).
# rpmkit fills in the placeholders from profile.toml before building; `repos` is
# the team's mirror of Amazon Linux's repositories, when RPMKIT_AL2_REPO_FILE names one.
#
# systemd 219 predates most of the conditions that let newer versions skip
# hardware and console units in a container; these would fail at every boot
# and leave the system "degraded", so they are masked. It boots to
# multi-user.target, as the AMI does (systemd's own default is graphical.target).
FROM {{ base }}
{{ repos }}
RUN {{ install }} {{ packages }} \
 && {{ clean }} \
 && systemctl mask systemd-remount-fs.service dev-hugepages.mount \
        sys-fs-fuse-connections.mount getty.target console-getty.service \
 && systemctl set-default multi-user.target
