"""Reading rpmbuild's output: the one-line cause and the evidence, from real failures."""

from __future__ import annotations

from rpmkit.build import log as build_log

INSTALL_FAILED = """\
Executing(%prep): /bin/sh -e /var/tmp/rpm-tmp.abc
+ exit 0
Executing(%install): /bin/sh -e /var/tmp/rpm-tmp.def
+ install -d -m 0755 /tmp/rpmbuild/BUILDROOT/web-1.0-1.x86_64/etc/nginx/conf.d
+ install -D -p -m 0644 nginx/web.conf /tmp/rpmbuild/BUILDROOT/web-1.0-1.x86_64/etc/nginx/web.conf
install: cannot stat 'nginx/web.conf': No such file or directory
error: Bad exit status from /var/tmp/rpm-tmp.def (%install)

RPM build errors:
    Bad exit status from /var/tmp/rpm-tmp.def (%install)
"""

SILENT_EXIT = """\
Executing(%install): /bin/sh -e /var/tmp/rpm-tmp.def
+ echo 'about to fail'
about to fail
+ exit 3
error: Bad exit status from /var/tmp/rpm-tmp.def (%install)

RPM build errors:
    Bad exit status from /var/tmp/rpm-tmp.def (%install)
"""

FILES_FAILED = """\
Executing(%install): /bin/sh -e /var/tmp/rpm-tmp.def
+ exit 0
Processing files: web-1.0-1.noarch
error: File not found: /tmp/rpmbuild/BUILDROOT/web-1.0-1.x86_64/usr/bin/web
error: File not found: /tmp/rpmbuild/BUILDROOT/web-1.0-1.x86_64/usr/bin/webctl

RPM build errors:
    File not found: /tmp/rpmbuild/BUILDROOT/web-1.0-1.x86_64/usr/bin/web
    File not found: /tmp/rpmbuild/BUILDROOT/web-1.0-1.x86_64/usr/bin/webctl
"""

UNPACKAGED = """\
Processing files: web-1.0-1.noarch
Checking for unpackaged file(s): /usr/lib/rpm/check-files /tmp/rpmbuild/BUILDROOT/web-1.0-1.noarch
error: Installed (but unpackaged) file(s) found:
   /usr/share/web/a.txt
   /usr/share/web/b.txt

RPM build errors:
    Installed (but unpackaged) file(s) found:
   /usr/share/web/a.txt
   /usr/share/web/b.txt
"""


def _missing(count: int) -> str:
    needed = "".join(f"\tnosuch{i:02d} is needed by web-1-1.noarch\n" for i in range(1, count + 1))
    return f"error: Failed build dependencies:\n{needed}"


RECURSION = (
    """\
warning: line 1: Possible unexpanded macro in: Name: %{name}
error: /tmp/rpmbuild/SPECS/web.spec: line 6: Too many levels of recursion in macro expansion. \
It is likely caused by recursive macro declaration.
"""
    + "".join(f"{i:3d}<{' ' * (2 * i + 2)}(%name)\n" for i in range(23, -1, -1))
    + """\
error: query of specfile /tmp/rpmbuild/SPECS/web.spec failed, can't parse
"""
)


def test_a_failed_section_names_what_the_failing_command_said() -> None:
    failure = build_log.diagnose(INSTALL_FAILED)
    assert failure.section == "%install"
    assert failure.cause == "install: cannot stat 'nginx/web.conf': No such file or directory"
    lines = failure.evidence.splitlines()
    assert lines[-1] == "error: Bad exit status from /var/tmp/rpm-tmp.def (%install)"
    assert "+ install -D -p -m 0644 nginx/web.conf" in failure.evidence
    assert "RPM build errors:" not in failure.evidence  # the repeat at the end adds nothing


def test_a_command_failing_silently_is_named() -> None:
    failure = build_log.diagnose(SILENT_EXIT)
    assert (failure.section, failure.cause) == ("%install", "`exit 3` failed")
    assert "about to fail" in failure.evidence


def test_files_not_found_are_counted_and_unrooted() -> None:
    failure = build_log.diagnose(FILES_FAILED)
    assert failure.section == "%files"
    assert failure.cause == "File not found: /usr/bin/web (and 1 more error line(s))"
    assert "/usr/bin/webctl" in failure.evidence


def test_unpackaged_files_are_listed_in_the_cause() -> None:
    failure = build_log.diagnose(UNPACKAGED)
    assert failure.cause == (
        "Installed (but unpackaged) file(s) found (2): /usr/share/web/a.txt, /usr/share/web/b.txt"
    )


def test_missing_build_dependencies_are_counted_and_all_listed() -> None:
    few = build_log.diagnose(_missing(3))
    assert few.cause == "3 build dependencies missing: nosuch01, nosuch02, nosuch03"
    failure = build_log.diagnose(_missing(30))
    # The one line names as many as read well and counts the rest; the evidence has all.
    assert failure.cause.startswith("30 build dependencies missing: nosuch01, nosuch02, ")
    shown = failure.cause.removeprefix("30 build dependencies missing: ").split(", ")
    last, _, rest = shown[-1].partition(" and ")
    assert rest == f"{30 - len(shown)} more (all below)"
    assert [*shown[:-1], last] == [f"nosuch{i:02d}" for i in range(1, len(shown) + 1)]
    assert len(failure.cause) < 220
    evidence = failure.evidence.splitlines()
    assert evidence[0] == "error: Failed build dependencies:"
    assert len(evidence) == 31  # the header and every dependency: nothing cut


def test_a_very_long_list_is_counted_not_cut_silently() -> None:
    failure = build_log.diagnose(_missing(500))
    assert failure.cause.startswith("500 build dependencies missing: nosuch01, ")
    assert failure.cause.endswith("more (all below)")
    lines = failure.evidence.splitlines()
    assert len(lines) == build_log.EVIDENCE_LIMIT + 1
    assert lines[-1] == f"... {501 - build_log.EVIDENCE_LIMIT} more line(s): see the log"


def test_a_recursion_names_the_error_and_counts_the_trace() -> None:
    failure = build_log.diagnose(RECURSION)
    assert failure.cause == (
        "line 6: Too many levels of recursion in macro expansion. It is likely caused by "
        "recursive macro declaration."
    )
    assert "(%name)" not in failure.evidence
    assert "(24 lines of rpm's macro expansion trace: see the log)" in failure.evidence
    assert failure.evidence.splitlines()[0].startswith("warning: line 1")


def test_output_without_an_error_line_shows_its_tail() -> None:
    output = "".join(f"line {i}\n" for i in range(100))
    failure = build_log.diagnose(output)
    assert failure.cause == "no error line in its output"
    lines = failure.evidence.splitlines()
    assert lines[0] == "... 75 earlier line(s): see the log"
    assert lines[1:] == [f"line {i}" for i in range(75, 100)]


def test_the_shell_scripts_name_is_left_out_of_the_cause() -> None:
    output = """\
Executing(%prep): /bin/sh -e /var/tmp/rpm-tmp.516bL4
+ /usr/bin/patch -p1 -s --fuzz=0 --no-backup-if-mismatch -f
/var/tmp/rpm-tmp.516bL4: 42: /usr/bin/patch: not found
error: Bad exit status from /var/tmp/rpm-tmp.516bL4 (%prep)
"""
    failure = build_log.diagnose(output)
    assert (failure.section, failure.cause) == ("%prep", "/usr/bin/patch: not found")


def test_an_error_rpm_repeats_with_its_line_number_is_one_error() -> None:
    output = """\
warning: line 4: Possible unexpanded macro in: Name:           %{name}
error: /tmp/rpmbuild/SPECS/d.spec: Too many levels of recursion in macro expansion.
error: /tmp/rpmbuild/SPECS/d.spec: line 4: Too many levels of recursion in macro expansion.
error: query of specfile /tmp/rpmbuild/SPECS/d.spec failed, can't parse
"""
    failure = build_log.diagnose(output)
    assert failure.cause == "line 4: Too many levels of recursion in macro expansion."


def test_the_summary_of_errors_names_the_cause_when_the_first_report_is_lost() -> None:
    # The error line itself did not come out on a line of its own (two streams
    # interleaved); rpm's summary under "RPM build errors:" still names the section.
    output = (
        "Executing(%install): /bin/sh -e /var/tmp/rpm-tmp.abc\n"
        "+ echo about to fail\nabout to fail\n+ false\n"
        "RPM build errors:\n    Bad exit status from /var/tmp/rpm-tmp.abc (%install)\n"
    )
    failure = build_log.diagnose(output)
    assert failure.section == "%install"
    assert failure.cause == "`false` failed"
