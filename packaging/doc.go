// Package packaging holds what makes logcause a Debian package and a
// release (the Makefile at the root drives it): nfpm.yaml, the
// maintainer scripts under deb/, version.sh, the copyright file. Its
// test, behind the build tag deb, installs the package on this machine
// (root, Debian 12: .ci/run) and checks it as installed.
package packaging
