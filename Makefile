# Builds the Debian packages and the release tarballs of logcause into
# dist/ (README, "Install"). The installed package's test, as root:
# go test -tags deb -count=1 ./packaging
#
#   make deb                 dist/logcause_<version>_{amd64,arm64}.deb
#   make release             the .debs, dist/logcause_<version>_linux_{amd64,arm64}.tar.gz, dist/SHA256SUMS
#   make deb VERSION=1.2.3   another version than packaging/version.sh says
#   make clean

GO      ?= go
# nfpm as a CLI at a pinned version: its dependencies (go-git, crypto,
# the rpm/apk/msix writers) stay out of the product's go.mod.
NFPM    ?= $(GO) run github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
ARCHES  ?= amd64 arm64
VERSION ?= $(shell packaging/version.sh)
COMMIT  ?= $(shell git rev-parse HEAD)$(if $(findstring +dirty,$(VERSION)),-dirty)
# The commit's time, not the clock's: a rebuild gives the same files.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct)
DATE    := $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)
export SOURCE_DATE_EPOCH

PKG     := github.com/logcause/logcause/internal/buildinfo
LDFLAGS := -s -w -X $(PKG).version=$(VERSION) -X $(PKG).commit=$(COMMIT) -X $(PKG).date=$(DATE)
GOBUILD := CGO_ENABLED=0 $(GO) build -trimpath -buildmode=pie -ldflags '$(LDFLAGS)'
HOST    := $(shell $(GO) env GOARCH)

.PHONY: all deb release clean FORCE
all: deb

# The binaries: always rebuilt (go's cache makes it cheap), so a change of
# VERSION is never missed.
dist/build/%/logcause: FORCE
	GOOS=linux GOARCH=$* $(GOBUILD) -o $@ ./cmd/logcause

# Man pages, completions and the changelog come from the host's binary.
dist/share: dist/build/$(HOST)/logcause
	rm -rf $@ && mkdir -p $@/man/man1 $@/completions
	$< man $@/man/man1
	$< completion bash > $@/completions/logcause.bash
	$< completion zsh > $@/completions/_logcause
	$< completion fish > $@/completions/logcause.fish
	printf 'logcause (%s) unstable; urgency=medium\n\n  * Built from commit %s.\n\n -- %s  %s\n' \
		'$(VERSION)' '$(COMMIT)' 'logcause maintainers <maintainers@users.noreply.r-seed-92369346.example>' \
		"$$(date -u -R -d @$(SOURCE_DATE_EPOCH))" | gzip -9n > $@/changelog.gz

deb: $(addprefix dist/build/,$(addsuffix /logcause,$(ARCHES))) dist/share
	for arch in $(ARCHES); do \
		ARCH=$$arch VERSION='$(VERSION)' $(NFPM) package --packager deb --config packaging/nfpm.yaml \
			--target 'dist/logcause_$(VERSION)_'$$arch.deb || exit 1; \
	done

release: deb
	set -e; for arch in $(ARCHES); do \
		name='logcause_$(VERSION)_linux_'$$arch; dir=dist/tar/$$name; \
		rm -rf $$dir && mkdir -p $$dir/completions; \
		cp dist/build/$$arch/logcause contrib/systemd/logcause.service $$dir/; \
		cp config/example.yaml $$dir/config.yaml; \
		cp -r dist/share/man $$dir/man; \
		cp dist/share/completions/* $$dir/completions/; \
		cp README.md packaging/copyright $$dir/; \
		for f in LICENSE LICENSE.md COPYING; do [ ! -e $$f ] || cp $$f $$dir/; done; \
		tar -C dist/tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@$(SOURCE_DATE_EPOCH) -cf - $$name \
			| gzip -9n > dist/$$name.tar.gz; \
	done
	cd dist && sha256sum logcause_$(VERSION)_*.deb logcause_$(VERSION)_linux_*.tar.gz > SHA256SUMS
	cat dist/SHA256SUMS

clean:
	rm -rf dist
