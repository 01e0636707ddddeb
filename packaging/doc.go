// Package packaging holds what makes logcause a Debian package and a
// release (the Makefile at the root drives it): nfpm.yaml, the
// maintainer scripts under deb/, version.sh, the copyright file. Its
// tests, behind the build tag deb, install the package on this machine
// (root, Debian 12: .ci/run) and check it as installed, then install it
// in a Debian 12 container that systemd-nspawn boots, where the unit the
// package starts is checked running.
package packaging
